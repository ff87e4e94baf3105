package main

import (
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Help is rendered by fang, which lays it out for a width: the terminal's
// (at most 120 columns) when os.Stdout is one, and 120 otherwise, padding
// every line of the text to that width. `drpilot --help | less` or a help
// page pasted into an issue then had lines of up to 200 columns. fang
// offers no option for the width; the one input it reads is the
// environment variable below, once per process. drpilot sets it when
// stdout is not a terminal, and fits its own texts (flag descriptions,
// examples, paragraphs) to the same width, which fang prints as they are.

// fangWidthEnv is the variable fang reads for its layout width.
const fangWidthEnv = "__FANG_TEST_WIDTH"

// Help is never laid out narrower than minHelpWidth, nor, on a terminal,
// wider than maxHelpWidth (fang's own cap).
const (
	minHelpWidth     = 40
	maxHelpWidth     = 120
	defaultHelpWidth = 80
)

// helpWidth is the width help is laid out for: the terminal's when stdout
// is one, else $COLUMNS when it is set (a shell that exports it knows the
// window the pipe ends in), else 80.
func helpWidth(stdout io.Writer, getenv func(string) string) int {
	if f, ok := stdout.(interface{ Fd() uintptr }); ok && term.IsTerminal(f.Fd()) {
		if w, _, err := term.GetSize(f.Fd()); err == nil && w > 0 {
			return max(min(w, maxHelpWidth), minHelpWidth)
		}
	}
	if n, err := strconv.Atoi(getenv("COLUMNS")); err == nil && n > 0 {
		return max(n, minHelpWidth)
	}
	return defaultHelpWidth
}

// tellFangOnce sets fang's width, before fang first reads it.
var tellFangOnce sync.Once

// fitHelp lays help out for width: it tells fang the width (unless fang
// measures the same terminal itself), reflows the root command's text,
// and makes every other command fit its own help to the width when it is
// asked for it. Only help is changed that way: the flags' descriptions
// also feed shell completion, which wants them on one line.
func fitHelp(root *cobra.Command, stdout io.Writer, width int) {
	if !isTerminal(stdout) {
		tellFangOnce.Do(func() {
			if os.Getenv(fangWidthEnv) == "" {
				os.Setenv(fangWidthEnv, strconv.Itoa(width))
			}
		})
	}
	root.Long = reflow(root.Long)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			sub.SetHelpFunc(func(c *cobra.Command, args []string) {
				fitCommand(c, width)
				c.Root().HelpFunc()(c, args)
			})
			walk(sub)
		}
	}
	walk(root)
}

// The layout fang gives a command's lists (commands and flags): entries
// start listIndent columns in, and their descriptions listGap columns
// after the widest entry, and at least listMinKey columns after the
// entries' start.
const (
	listIndent = 4
	listGap    = 2
	listMinKey = 10
)

// fitCommand fits c's help to width: its paragraphs reflow, and its flag
// and subcommand descriptions wrap within the columns fang leaves them.
// Examples are left alone: fang pads each line of their block, so a line
// continued with a backslash would not paste into a shell; they are
// written to fit instead.
func fitCommand(c *cobra.Command, width int) {
	c.Long = reflow(c.Long)
	key := listMinKey
	var subs []*cobra.Command
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			subs = append(subs, sub)
			key = max(key, usageWidth(sub)+listGap)
		}
	}
	var flags []*pflag.Flag
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			flags = append(flags, f)
			key = max(key, flagKeyWidth(f)+listGap)
		}
	})
	room := max(width-listIndent-key, minHelpWidth/2)
	for _, sub := range subs {
		sub.Short = wrapText(sub.Short, room, 0)
	}
	for _, f := range flags {
		f.Usage = wrapText(f.Usage, room, utf8.RuneCountInString(flagDefault(f)))
	}
}

// flagKeyWidth is the width of a flag as fang lists it: "--name", or
// "-n --name".
func flagKeyWidth(f *pflag.Flag) int {
	n := len("--") + len(f.Name)
	if f.Shorthand != "" {
		n += len("-") + len(f.Shorthand) + len(" ")
	}
	return n
}

// flagDefault is what fang prints after a flag's description: its default
// in parentheses, unless it is a zero value.
func flagDefault(f *pflag.Flag) string {
	switch f.DefValue {
	case "", "false", "0", "[]":
		return ""
	}
	return " (" + f.DefValue + ")"
}

// usageWidth is the width of a subcommand as fang lists it: its Use line,
// then " [command]" when it has subcommands and " [--flags]" (every
// command has --help). It errs on the wide side by a column.
func usageWidth(c *cobra.Command) int {
	n := utf8.RuneCountInString(c.Use) + 1 + len(" [--flags]")
	if c.HasAvailableSubCommands() {
		n += len(" [command]")
	}
	return n
}

// reflow joins the lines of each paragraph of s, so that fang wraps them
// at the width, instead of breaking lines that were wrapped for another
// width. Indented lines (lists, tables, commands) are kept as they are.
func reflow(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	for i, line := range lines {
		prose := line != "" && line[0] != ' ' && line[0] != '\t'
		if prose && i > 0 && len(out) > 0 {
			prev := lines[i-1]
			if prev != "" && prev[0] != ' ' && prev[0] != '\t' {
				out[len(out)-1] += " " + line
				continue
			}
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// wrapText wraps s into lines of at most width columns, leaving tail
// columns free on its last line (for the default fang appends there).
func wrapText(s string, width, tail int) string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return s
	}
	var lines []string
	line := words[0]
	for _, w := range words[1:] {
		if utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
			lines = append(lines, line)
			line = w
			continue
		}
		line += " " + w
	}
	lines = append(lines, line)
	if tail > 0 && utf8.RuneCountInString(line)+tail > width {
		// The default does not fit after the last line: it goes on a
		// line of its own.
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
