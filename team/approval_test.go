package team

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drpilot/drpilot/audit"
)

// teamKeys writes n trusted keys into a keys/ directory and returns them
// with their private halves.
func teamKeys(t *testing.T, names ...string) (string, map[string]ed25519.PrivateKey) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	privs := map[string]ed25519.PrivateKey{}
	for _, n := range names {
		priv, err := audit.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := audit.PublicKeyPEM(priv.Public().(ed25519.PublicKey))
		if err := os.WriteFile(filepath.Join(dir, n+".pub"), pub, 0o644); err != nil {
			t.Fatal(err)
		}
		privs[n] = priv
	}
	return dir, privs
}

func sampleGate() GateBody {
	return GateBody{Runbook: "store", RunbookSHA256: strings.Repeat("ab", 32), Run: "run-a", Step: "promote",
		Title: "Promote the replica", Confirm: "type", Approvals: 2, Approvers: []string{"alice", "bob", "carol"}, Operator: "alice",
		Calls: []GateCall{{Operation: "rds:PromoteReadReplica", Region: "us-west-2", Input: map[string]any{"DBInstanceIdentifier": "db-replica"}}}}
}

// TestCountApprovals: each trusted key counts once, only for the gate it
// signed, only when it is among the approvers; a refusal decides.
func TestCountApprovals(t *testing.T) {
	dir, privs := teamKeys(t, "alice", "bob", "carol", "mallory")
	keys, err := LoadKeys(dir)
	if err != nil || len(keys) != 4 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	g := sampleGate()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sign := func(name string, g GateBody, verdict string) Approval {
		a, err := Sign(privs[name], name, g, verdict, "", at)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	other := g
	other.Calls = []GateCall{{Operation: "rds:PromoteReadReplica", Region: "us-west-2", Input: map[string]any{"DBInstanceIdentifier": "another"}}}
	tally := Count(g, keys, []Approval{sign("alice", g, Approve), sign("alice", g, Approve), sign("mallory", g, Approve), sign("bob", other, Approve)})
	if len(tally.Approved) != 1 || tally.Done() || len(tally.Ignored) != 3 {
		t.Fatalf("tally: %+v", tally)
	}
	if strings.Join(tally.Awaited, ",") != "bob,carol" {
		t.Fatalf("awaited: %v", tally.Awaited)
	}
	tally = Count(g, keys, []Approval{sign("alice", g, Approve), sign("carol", g, Approve)})
	if !tally.Done() || tally.Denied != nil || len(tally.Approved) != 2 {
		t.Fatalf("two approvals: %+v", tally)
	}
	tally = Count(g, keys, []Approval{sign("alice", g, Approve), sign("bob", g, Deny)})
	if !tally.Done() || tally.Denied == nil || tally.Denied.Statement.Approver != "bob" {
		t.Fatalf("a refusal: %+v", tally)
	}
	// A statement whose bytes changed after signing does not parse.
	a := sign("alice", g, Approve)
	forged := []byte(strings.Replace(string(a.Raw), `"approve"`, `"deny"`, 1))
	if _, err := Parse(forged, a.Signature, a.PublicKey); err == nil {
		t.Fatal("a changed statement must not check")
	}
	if _, err := Parse(a.Raw, a.Signature, privs["bob"].Public().(ed25519.PublicKey)); err == nil {
		t.Fatal("a statement checked against another key must not check")
	}
}

// TestApprovalsThroughTheTable: the runner publishes its gate; approvers
// read it, sign what they read, and write their answers once; the runner
// sees the tally complete.
func TestApprovalsThroughTheTable(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s, _ := initStore(t, b)
		ctx := testCtx(t)
		dir, privs := teamKeys(t, "alice", "bob", "carol")
		keys, _ := LoadKeys(dir)
		g := sampleGate()
		if _, _, err := s.Gate(ctx, g.Run, g.Step); !errors.Is(err, ErrNoGate) {
			t.Fatalf("gate before it is published: %v", err)
		}
		if err := s.PublishGate(ctx, g); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Answer(ctx, privs["alice"], "alice", g, Approve, ""); err != nil {
			t.Fatal(err)
		}
		progress := make(chan Tally, 10)
		done := make(chan Tally, 1)
		go func() {
			tally, _ := s.WaitForAnswers(ctx, g, keys, 20*time.Millisecond, func(t Tally) { progress <- t })
			done <- tally
		}()
		first := <-progress
		if len(first.Approved) != 1 || strings.Join(first.Awaited, ",") != "bob,carol" {
			t.Fatalf("first progress: %+v", first)
		}
		read, open, err := s.Gate(ctx, g.Run, g.Step)
		if err != nil || !open || read.Digest() != g.Digest() || read.Calls[0].Input["DBInstanceIdentifier"] != "db-replica" {
			t.Fatalf("gate as read: %+v %v %v", read, open, err)
		}
		bob, _ := Sign(privs["bob"], "bob", read, Approve, "looked at the replica lag", time.Now())
		if err := s.PutApproval(ctx, bob); err != nil {
			t.Fatal(err)
		}
		again, _ := Sign(privs["bob"], "bob", read, Deny, "changed my mind", time.Now())
		if err := s.PutApproval(ctx, again); !errors.Is(err, ErrAnswered) {
			t.Fatalf("a second answer: %v", err)
		}
		select {
		case tally := <-done:
			if !tally.Done() || len(tally.Approved) != 2 || tally.Approved[1].Statement.Reason != "looked at the replica lag" {
				t.Fatalf("tally: %+v", tally)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the runner did not see bob's approval")
		}
		if err := s.CloseGate(ctx, g.Run, g.Step, "approved"); err != nil {
			t.Fatal(err)
		}
		if _, open, err := s.Gate(ctx, g.Run, g.Step); open || err != nil {
			t.Fatalf("a closed gate: %v %v", open, err)
		}
	})
}

// TestWaitForAnswersStopsWithTheRun: a wait that nobody answers ends
// when the run's context does.
func TestWaitForAnswersStopsWithTheRun(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s, _ := initStore(t, b)
		dir, _ := teamKeys(t, "alice", "bob")
		keys, _ := LoadKeys(dir)
		ctx, cancel := context.WithTimeout(testCtx(t), 200*time.Millisecond)
		defer cancel()
		if _, err := s.WaitForAnswers(ctx, sampleGate(), keys, 20*time.Millisecond, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("wait: %v", err)
		}
	})
}

// TestAskingIsTheLockHolders: a gate is answered only while the process
// that published it holds the lock; once another takes the lock over, or
// it is released, its gate waits for nobody.
func TestAskingIsTheLockHolders(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s, c := initStore(t, b)
		ctx := testCtx(t)
		lease, err := s.Acquire(ctx, Lease{Runbook: "store", Run: "run-a", Holder: "alice", Host: "laptop-a"})
		if err != nil {
			t.Fatal(err)
		}
		g := sampleGate()
		g.Fence = lease.Fence
		if err := s.PublishGate(ctx, g); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Asking(ctx, "store", "run-a", "promote"); err != nil {
			t.Fatalf("the holder's asking: %v", err)
		}
		c.t = c.t.Add(2 * LeaseFor)
		if _, err := s.Asking(ctx, "store", "run-a", "promote"); !errors.Is(err, ErrStale) {
			t.Fatalf("the asking of a lease that expired: %v", err)
		}
		if _, err := s.TakeOver(ctx, Lease{Runbook: "store", Run: "run-a", Holder: "alice", Host: "laptop-b"}, lease, false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Asking(ctx, "store", "run-a", "promote"); !errors.Is(err, ErrStale) {
			t.Fatalf("the asking of the process that lost the lock: %v", err)
		}
		if err := s.CloseGate(ctx, "run-a", "promote", "approved"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Asking(ctx, "store", "run-a", "promote"); !errors.Is(err, ErrDecided) {
			t.Fatalf("a decided gate: %v", err)
		}
	})
}

// TestWaitSaysTheTableDoesNotAnswer: while the answers cannot be read,
// the waiting run is told so, and goes on waiting.
func TestWaitSaysTheTableDoesNotAnswer(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := b.store(t, "us-west-2") // no team init: the table is not there
		dir, _ := teamKeys(t, "alice", "bob")
		keys, _ := LoadKeys(dir)
		ctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
		defer cancel()
		var told []Tally
		_, err := s.WaitForAnswers(ctx, sampleGate(), keys, 20*time.Millisecond, func(t Tally) { told = append(told, t) })
		if !errors.Is(err, context.DeadlineExceeded) || len(told) == 0 || told[0].Unreadable == nil || told[0].Done() {
			t.Fatalf("wait on a table that is not there: %v %+v", err, told)
		}
	})
}
