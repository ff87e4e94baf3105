package ui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Styles are every style the screens use, built once for the terminal's
// background; with NO_COLOR the colour profile drops the colours and the
// words and glyphs carry the meaning alone.
type Styles struct {
	Title, Faint, Bold, Key  lipgloss.Style
	OK, Warn, Bad, Running   lipgloss.Style
	Live, DryRun, Sandbox    lipgloss.Style
	Selected, Box, Highlight lipgloss.Style
}

// NewStyles builds the styles for a dark or a light background.
func NewStyles(dark bool) Styles {
	pick := lipgloss.LightDark(dark)
	fg := func(light, darkc string) color.Color { return pick(lipgloss.Color(light), lipgloss.Color(darkc)) }
	badge := func(bg string) lipgloss.Style {
		return lipgloss.NewStyle().Bold(true).Padding(0, 1).Foreground(lipgloss.Color("#ffffff")).Background(lipgloss.Color(bg))
	}
	return Styles{
		Title:     lipgloss.NewStyle().Bold(true),
		Faint:     lipgloss.NewStyle().Foreground(fg("#666666", "#8a8a8a")),
		Bold:      lipgloss.NewStyle().Bold(true),
		Key:       lipgloss.NewStyle().Bold(true).Foreground(fg("#005fd7", "#5fafff")),
		OK:        lipgloss.NewStyle().Foreground(fg("#007a00", "#5fd75f")),
		Warn:      lipgloss.NewStyle().Foreground(fg("#a05a00", "#ffaf00")),
		Bad:       lipgloss.NewStyle().Bold(true).Foreground(fg("#c00000", "#ff5f5f")),
		Running:   lipgloss.NewStyle().Foreground(fg("#005fd7", "#5fafff")),
		Live:      badge("#c00000"),
		DryRun:    badge("#005fd7"),
		Sandbox:   badge("#7a3fa0"),
		Selected:  lipgloss.NewStyle().Reverse(true),
		Box:       lipgloss.NewStyle().Border(lipgloss.NormalBorder()).Padding(0, 1),
		Highlight: lipgloss.NewStyle().Bold(true).Foreground(fg("#a05a00", "#ffaf00")),
	}
}
