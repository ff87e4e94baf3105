package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/drpilot/drpilot/audit"
)

// adoptWord is what the operator types to adopt unsigned decisions.
const adoptWord = "adopt"

// adoption is the answer to the lines a crash left unsigned: going on
// adopts them into the signed record, and run.resumed says which they were
// and who vouched for the decisions among them.
type adoption struct {
	tail audit.Adoption
	// via says how the decisions among them were confirmed: by the flag,
	// at the prompt, or "" when there were none.
	via string
}

// record is what run.resumed (or abort's decision) writes of it.
func (a adoption) record(who string) map[string]any {
	rec := a.tail.Record()
	if a.via != "" {
		rec["decisions_confirmed_by"], rec["confirmed_via"] = who, a.via
	}
	return rec
}

// confirmAdoption shows the operator the lines after the log's last
// signature, and asks before adopting decisions among them: only the hash
// chain protected those lines since the crash, so an approval there may
// have been edited (the approver changed, the chain recomputed) and
// nothing in the log can tell. A person who knows what happened vouches
// for them, with --adopt-unsigned or by typing "adopt" at the prompt; the
// other lines (steps, calls, answers) are adopted and flagged in any case.
func confirmAdoption(w io.Writer, in io.Reader, interactive, flag bool, tail audit.Adoption, events []audit.Event) (adoption, error) {
	a := adoption{tail: tail}
	if tail.Count == 0 {
		return a, nil
	}
	showUnsigned(w, tail, events)
	n := len(tail.Decisions)
	switch {
	case n == 0:
		fmt.Fprintln(w, "They hold no decision: resume adopts them, and verify will flag them as adopted unsigned.")
		return a, nil
	case flag:
		a.via = "--adopt-unsigned"
		return a, nil
	case !interactive:
		return a, badInput("%d decision(s) above were written after the log's last signature, so nothing proves they are what was decided: check them against what happened (who approved, CloudTrail), then resume with --adopt-unsigned to adopt them as the run's own, or end the run with drpilot abort; nothing was changed", n)
	}
	fmt.Fprintf(w, "Adopt the %d decision(s) above as the run's own? They will be signed in your name as confirmed. Type %q to go on: ", n, adoptWord)
	answer, _ := bufio.NewReader(in).ReadString('\n')
	if strings.TrimSpace(answer) != adoptWord {
		return a, badInput("not resumed: the unsigned decisions were not adopted, and nothing was changed; resume again once you have checked them, or end the run with drpilot abort")
	}
	a.via = "typed at the prompt"
	return a, nil
}

// showUnsigned lists the unsigned lines, one each: seq, type, step, and
// for a decision who decided what.
func showUnsigned(w io.Writer, tail audit.Adoption, events []audit.Event) {
	fmt.Fprintf(w, "The run stopped %d line(s) after its last signature (seq %d–%d): only the hash chain protects them, and going on adopts them into the signed record:\n",
		tail.Count, tail.FromSeq, tail.FromSeq+tail.Count-1)
	for _, ev := range events[tail.FromSeq : tail.FromSeq+tail.Count] {
		line := fmt.Sprintf("  seq %-5d %-13s %s", ev.Seq, ev.Type, ev.Step)
		if ev.Type == audit.TypeDecision {
			var d struct{ Decision, Reason string }
			json.Unmarshal(ev.Data, &d)
			line += fmt.Sprintf("  %s by %s", d.Decision, ev.Actor)
			if d.Reason != "" {
				line += fmt.Sprintf(": %q", d.Reason)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}
