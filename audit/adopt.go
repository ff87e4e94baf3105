package audit

import (
	"encoding/json"
	"fmt"
	"sort"
)

// AdoptedKey is the member of run.resumed's data (and of the decision
// drpilot abort writes) that names the lines it adopted unsigned.
const AdoptedKey = "adopted_unsigned"

// Adoption is a stretch of lines that a crash left after the last
// checkpoint and that a resume (or an abort) then took into the signed
// record. Between the crash and the adoption only the hash chain protected
// them: anyone who could write the file could have edited one and
// recomputed the chain, and no signature tells. So the log says which
// lines they were, and verify and export flag them.
type Adoption struct {
	// At is the seq of the line that adopted them: run.resumed, or the
	// abort's decision.
	At      int64 `json:"at"`
	FromSeq int64 `json:"from_seq"`
	Count   int64 `json:"count"`
	// ChainHead is the hex SHA-256 of the last adopted line, as the
	// adopting line's prev names it.
	ChainHead string `json:"chain_head"`
	// Decisions are the seqs of the decision lines among them: what a
	// person decided, which the resume asked before adopting.
	Decisions []int64 `json:"decisions,omitempty"`
}

// adoptedClaim is the adopting line's own account, as written in its data.
type adoptedClaim struct {
	FromSeq   int64  `json:"from_seq"`
	Count     int64  `json:"count"`
	ChainHead string `json:"chain_head"`
}

// Record is what the adopting line writes under AdoptedKey.
func (a Adoption) Record() map[string]any {
	rec := map[string]any{"from_seq": a.FromSeq, "count": a.Count, "chain_head": a.ChainHead}
	if len(a.Decisions) > 0 {
		rec["decisions"] = a.Decisions
	}
	return rec
}

// Describe says what the adoption means, for verify's warnings and the
// record.
func (a Adoption) Describe() string {
	what := fmt.Sprintf("%d line(s), seq %d–%d,", a.Count, a.FromSeq, a.FromSeq+a.Count-1)
	if len(a.Decisions) > 0 {
		what = fmt.Sprintf("%d line(s), seq %d–%d (with %d decision(s) at seq %v),", a.Count, a.FromSeq, a.FromSeq+a.Count-1, len(a.Decisions), a.Decisions)
	}
	return fmt.Sprintf("%s were unsigned when the run stopped and were adopted at seq %d: until then only the hash chain protected them, so an edit made in between, with the chain recomputed, cannot be told from the original", what, a.At)
}

// adopter is a line that may adopt unsigned lines: its seq, type and data.
type adopter struct {
	seq  int64
	typ  string
	data json.RawMessage
}

// noteLine keeps what the adoption check needs from a verified line:
// decisions (which may be adopted) and the lines that adopt.
func (v *verifier) noteLine(seq int64, e *Event) {
	switch e.Type {
	case TypeDecision:
		v.decisions = append(v.decisions, seq)
		v.adopters = append(v.adopters, adopter{seq, e.Type, e.Data})
	case TypeRunResumed:
		v.adopters = append(v.adopters, adopter{seq, e.Type, e.Data})
	}
}

// adoptions finds, from the verified checkpoints, the lines every resume
// or abort adopted unsigned, and checks them against what the adopting
// line recorded: a record that disagrees with the checkpoints means one
// was removed, or the record is not the one the resume wrote.
func (v *verifier) adoptions(signedAt []int64) {
	for _, a := range v.adopters {
		var data map[string]json.RawMessage
		json.Unmarshal(a.data, &data)
		raw, recorded := data[AdoptedKey]
		if a.typ != TypeRunResumed && !recorded {
			continue // a decision taken during the run adopts nothing
		}
		got := v.adoptedBefore(a.seq, signedAt)
		if recorded {
			var claim adoptedClaim
			if err := json.Unmarshal(raw, &claim); err != nil || claim != (adoptedClaim{got.FromSeq, got.Count, got.ChainHead}) {
				v.invalid(a.seq, "%s at seq %d records that it adopted %s unsigned, but the checkpoints show %d line(s) from seq %d: a checkpoint was removed, or the record is not the one the resume wrote",
					a.typ, a.seq, string(raw), got.Count, got.FromSeq)
				return
			}
		}
		if got.Count == 0 {
			continue
		}
		v.rep.Adopted = append(v.rep.Adopted, got)
		if !recorded {
			v.rep.Warnings = append(v.rep.Warnings, fmt.Sprintf("run.resumed at seq %d does not record the unsigned lines it adopted (a log written by an older drpilot)", a.seq))
		}
		v.rep.Warnings = append(v.rep.Warnings, got.Describe())
	}
}

// adoptedBefore is what a line at seq adopts: the lines after the newest
// checkpoint that does not reach past it.
func (v *verifier) adoptedBefore(seq int64, signedAt []int64) Adoption {
	i := sort.Search(len(signedAt), func(i int) bool { return signedAt[i] > seq })
	from := int64(0)
	if i > 0 {
		from = signedAt[i-1]
	}
	a := Adoption{At: seq, FromSeq: from, Count: seq - from}
	if seq > 0 {
		a.ChainHead = lineHash(v.whole[seq-1])
	}
	for _, d := range v.decisions {
		if d >= from && d < seq {
			a.Decisions = append(a.Decisions, d)
		}
	}
	return a
}

// unsignedTail is what a reopened log would adopt: its lines after the
// newest checkpoint.
func unsignedTail(events []Event, signed int64, head string) Adoption {
	n := int64(len(events))
	a := Adoption{At: n, FromSeq: min(signed, n), ChainHead: head}
	a.Count = n - a.FromSeq
	for _, ev := range events[a.FromSeq:] {
		if ev.Type == TypeDecision {
			a.Decisions = append(a.Decisions, ev.Seq)
		}
	}
	return a
}

// adoptedLines is how many lines were adopted unsigned, over all adoptions.
func (v *verifier) adoptedLines() int64 {
	var n int64
	for _, a := range v.rep.Adopted {
		n += a.Count
	}
	return n
}
