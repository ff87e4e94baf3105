package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
)

// runIDPattern is a run id: the runbook's id, the start time and a random
// suffix (newRunID).
var runIDPattern = regexp.MustCompile(`^(.+)-\d{8}T\d{6}Z-[0-9a-f]+$`)

// runbookIDOf is the id of the runbook a run id names, or "".
func runbookIDOf(run string) string {
	if m := runIDPattern.FindStringSubmatch(run); m != nil {
		return m[1]
	}
	return ""
}

// findRunbook finds the runbook a watched run carries out, for the screen's
// plan: --runbook, else the file the run logged if it is here, else the
// runbooks of ./runbooks and . with the run's runbook id, the one with the
// logged SHA-256 first. The warning says when the file found is not the
// one the run read.
func findRunbook(start *audit.RunInfo, run, given string, stderr io.Writer) (*runbooks.Runbook, *runbooks.RunPlan, string, error) {
	id := runbookIDOf(run)
	file := given
	if file == "" {
		file = searchRunbook(start, id)
	}
	if file == "" {
		return nil, nil, "", badInput("cannot find the runbook of run %s (id %s, logged as %s) in ./runbooks or .: give it with --runbook FILE", run, orNone(id), start.Runbook)
	}
	rb, plan, err := loadAndPlan(file, stderr, func(*runbooks.Runbook) error { return nil })
	if err != nil {
		return nil, nil, "", err
	}
	warning := ""
	if rb.SHA256 != start.RunbookSHA256 {
		warning = fmt.Sprintf("warning: %s is not the runbook the run read (SHA-256 %.12s…, the run's %.12s…): the plan shown may differ from the run's", file, rb.SHA256, start.RunbookSHA256)
	}
	return rb, plan, warning, nil
}

// searchRunbook is the file of the run's runbook among the candidates:
// one whose bytes are the ones the run read, else one with the runbook's
// id, else "".
func searchRunbook(start *audit.RunInfo, id string) string {
	candidates := []string{start.Runbook}
	for _, glob := range []string{filepath.Join("runbooks", "*.toml"), "*.toml"} {
		more, _ := filepath.Glob(glob)
		candidates = append(candidates, more...)
	}
	sameID := ""
	for _, c := range candidates {
		data, err := os.ReadFile(c)
		if err != nil {
			continue
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) == start.RunbookSHA256 {
			return c
		}
		if sameID == "" && id != "" {
			if rb, diags := runbooks.Parse(c, data); rb != nil && !diags.HasErrors() && rb.ID == id {
				sameID = c
			}
		}
	}
	return sameID
}
