package ui

import (
	"bytes"
	"image/color"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/drpilot/drpilot/steps"
)

// TestNoColor puts the run screen through the colour profile the
// terminal's environment asks for, as the program's renderer does: with
// NO_COLOR no colour is left, while the words and glyphs that carry the
// meaning stay; in a colour terminal the colours are there.
func TestNoColor(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventStepFailed, Step: "flag", Time: m.opts.Now(), Error: "boom"}))
	screen := m.render()
	through := func(env ...string) string {
		var out bytes.Buffer
		w := &colorprofile.Writer{Forward: &out, Profile: colorprofile.Env(env)}
		w.WriteString(screen)
		return out.String()
	}
	colour := through("TERM=xterm-256color", "COLORTERM=truecolor")
	none := through("TERM=xterm-256color", "NO_COLOR=1")
	if !strings.Contains(colour, "\x1b[38;") {
		t.Fatal("a colour terminal gets no colour: the test proves nothing")
	}
	for _, sgr := range []string{"\x1b[38;", "\x1b[48;"} {
		if strings.Contains(none, sgr) {
			t.Errorf("NO_COLOR output has colour (%q)", sgr)
		}
	}
	for _, want := range []string{"SANDBOX: SIMULATED AWS", "✗ flag", "1 failed"} {
		if !strings.Contains(ansi.Strip(none), want) {
			t.Errorf("NO_COLOR output lacks %q", want)
		}
	}
}

// TestLightBackground switches the styles when the terminal reports a
// light background, so that text stays readable on it.
func TestLightBackground(t *testing.T) {
	m, _ := testModel(t)
	dark := m.styles.Bad.Render("x")
	m = send(t, m, tea.BackgroundColorMsg{Color: color.RGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}})
	if light := m.styles.Bad.Render("x"); light == dark {
		t.Errorf("the styles did not change for a light background: %q", light)
	}
}
