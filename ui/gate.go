package ui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/drpilot/drpilot/steps"
)

// A gate shows what its step will send, resolved, in full: an approver
// who reads half an input has not read it. Calls are written as JSON,
// wrapped rather than cut. Messages to people (notify) are written for a
// person to read: one line per recipient and channel, then the subject
// and the message as they will arrive, once for every delivery that
// sends the same words.

// gateRequests renders a pending gate's requests for a pane w wide.
func (m Model) gateRequests(g *steps.Gate, w int) string {
	s := m.styles
	if len(g.Calls) == 0 {
		return s.Faint.Render(wrap("Sends nothing: there is nothing to change (the step's notes say why).", w)) + "\n"
	}
	var b strings.Builder
	var deliveries []steps.CallInfo
	for _, c := range g.Calls {
		if c.Delivery != nil {
			deliveries = append(deliveries, c)
			continue
		}
		if c.RequestID != "" {
			// Sent before the gate because it changes no resource and the
			// gate needs its answer (a CloudFormation change set).
			b.WriteString(s.Faint.Render("SENT "+callWhere(c)+" before this gate · request id "+c.RequestID) + "\n")
		} else {
			b.WriteString(s.Highlight.Render("CHANGES") + " " + callWhere(c) + "\n")
		}
		b.WriteString(indent(wrapJSON(compact(c.Input), w-2), 2) + "\n")
		b.WriteString(resourceChanges(c.Changes, w))
		if c.Error != "" {
			b.WriteString(s.Bad.Render(wrap("cannot be sent: "+c.Error, w)) + "\n")
		}
	}
	if len(deliveries) > 0 {
		b.WriteString(m.deliveries(deliveries, w))
	}
	return b.String()
}

// resourceChanges renders a change set's resource changes, one a line:
// what an approver of a stack deployment approves.
func resourceChanges(changes []steps.ResourceChange, w int) string {
	if changes == nil {
		return ""
	}
	if len(changes) == 0 {
		return indent("no resource changes (parameters, outputs or tags only)", 2) + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  %d resource %s:\n", len(changes), plural(len(changes), "change", "changes"))
	for _, c := range changes {
		line := fmt.Sprintf("%-7s %s  %s", c.Action, c.LogicalResourceID, c.ResourceType)
		if c.Replacement == "True" || c.Replacement == "Conditional" {
			line += "  replacement: " + c.Replacement
		}
		b.WriteString(indent(wrap(line, w-4), 4) + "\n")
	}
	return b.String()
}

// deliveries renders the messages a gate will send: whom, by which
// channels to which addresses, then the words, each distinct subject and
// message once, labelled with the channels that send it when they differ.
func (m Model) deliveries(calls []steps.CallInfo, w int) string {
	s := m.styles
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d %s:\n", s.Highlight.Render("SENDS"), len(calls), plural(len(calls), "message", "messages"))
	var subjects, messages texts
	contact := ""
	for _, c := range calls {
		d := c.Delivery
		if d.Contact != contact || d.Channel == "" {
			contact = d.Contact
			who := "→ " + d.Contact
			if d.Name != "" {
				who += " (" + d.Name + ")"
			}
			if d.Channel == "" { // the contact itself cannot be reached
				b.WriteString(s.Bad.Render(wrap(who+": cannot be sent: "+c.Error, w)) + "\n")
				continue
			}
			b.WriteString(wrap(who, w) + "\n")
		}
		line := indent(wrap(d.Channel+" "+d.Address, w-2), 2)
		if c.Error != "" {
			b.WriteString(s.Bad.Render(line+"\n"+indent(wrap("cannot be sent: "+c.Error, w-4), 4)) + "\n")
			continue
		}
		b.WriteString(line + "\n")
		subjects.add(d.Subject, d.Channel)
		messages.add(d.Message, d.Channel)
	}
	b.WriteString(subjects.render("subject", w, false))
	b.WriteString(messages.render("message", w, true))
	return b.String()
}

// texts are the distinct subjects (or messages) of a gate's deliveries,
// in order, with the channels that send each.
type texts []sentText

// sentText is one subject or message and the channels that send it.
type sentText struct {
	text     string
	channels []string
}

// add counts a channel that sends text.
func (t *texts) add(text, channel string) {
	for i := range *t {
		if e := &(*t)[i]; e.text == text {
			if !slices.Contains(e.channels, channel) {
				e.channels = append(e.channels, channel)
			}
			return
		}
	}
	*t = append(*t, sentText{text, []string{channel}})
}

// render writes each text under its label; block texts (a message) start
// on their own lines, indented, with their line breaks kept.
func (t texts) render(label string, w int, block bool) string {
	var b strings.Builder
	for _, e := range t {
		l := label
		if len(t) > 1 {
			l += " (" + strings.Join(e.channels, ", ") + ")"
		}
		text := strings.TrimRight(e.text, "\n")
		if !block {
			b.WriteString(wrap(l+": "+text, w) + "\n")
			continue
		}
		b.WriteString(l + ":\n" + indent(wrap(text, w-2), 2) + "\n")
	}
	return b.String()
}

// wrapJSON wraps one line of JSON to a width, breaking after the commas
// between members and elements where it can, so that a value is cut only
// when it is longer than a line by itself.
func wrapJSON(j string, w int) string {
	var pieces []string
	start, inString, escaped := 0, false, false
	for i, r := range j {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && inString:
			escaped = true
		case r == '"':
			inString = !inString
		case r == ',' && !inString:
			pieces = append(pieces, j[start:i+1])
			start = i + 1
		}
	}
	pieces = append(pieces, j[start:])
	var lines []string
	line := ""
	for _, p := range pieces {
		if line != "" && ansi.StringWidth(line+p) > w {
			lines = append(lines, line)
			line = ""
		}
		line += p
	}
	lines = append(lines, line)
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = strings.TrimRight(ansi.Hardwrap(l, w, true), " ")
		}
	}
	return strings.Join(lines, "\n")
}

// callWhere is a call's operation and where it goes.
func callWhere(c steps.CallInfo) string {
	if c.Region == "" {
		return c.Operation
	}
	return c.Operation + " in " + c.Region
}

// indent prefixes every line of a block with n spaces.
func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = pad + strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
