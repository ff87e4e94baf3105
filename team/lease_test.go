package team

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// clock is a settable clock for leases.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func initStore(t *testing.T, b backend) (*Store, *clock) {
	t.Helper()
	s := b.store(t, "us-west-2")
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	s.SetClock(c.now)
	report, err := s.Init(testCtx(t))
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	if len(report) != 2 || !strings.Contains(report[0], "created") || !strings.Contains(report[1], "created") {
		t.Fatalf("init report: %q", report)
	}
	return s, c
}

// TestLeaseLifecycle: one holder at a time; a lease that is renewed is
// never taken; an expired one only by a take-over that saw it, once; the
// old holder then learns it lost the lease; the fencing token grows with
// every change of hands.
func TestLeaseLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s, c := initStore(t, b)
		ctx := testCtx(t)
		alice := Lease{Runbook: "store", Run: "run-a", Holder: "alice", Host: "laptop-a", Mode: "live"}
		got, err := s.Acquire(ctx, alice)
		if err != nil || got.Fence != 1 || got.Holder != "alice" || !got.Held(c.now()) {
			t.Fatalf("first acquire: %+v %v", got, err)
		}
		alice = got
		bob := Lease{Runbook: "store", Run: "run-b", Holder: "bob", Host: "laptop-b", Mode: "live"}
		_, err = s.Acquire(ctx, bob)
		var held *HeldError
		if !errors.As(err, &held) || held.Expired || held.Lease.Holder != "alice" || held.Lease.Run != "run-a" || held.Lease.Host != "laptop-a" {
			t.Fatalf("second acquire: %v", err)
		}
		if !strings.Contains(err.Error(), "is being run by alice on laptop-a (run run-a") {
			t.Fatalf("message: %v", err)
		}
		// A take-over of a lease that is still renewed fails.
		if _, err := s.TakeOver(ctx, bob, held.Lease, false); !errors.As(err, &held) {
			t.Fatalf("take-over of a live lease: %v", err)
		}
		c.t = c.t.Add(LeaseFor / 2)
		if alice, err = s.Renew(ctx, alice); err != nil {
			t.Fatalf("renew: %v", err)
		}
		c.t = c.t.Add(LeaseFor - time.Second)
		if _, err := s.Acquire(ctx, bob); !errors.As(err, &held) || held.Expired {
			t.Fatalf("a renewed lease must still be held: %v", err)
		}
		c.t = c.t.Add(2 * time.Second) // alice's laptop stopped renewing
		_, err = s.Acquire(ctx, bob)
		if !errors.As(err, &held) || !held.Expired || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("an expired lease is not free without a take-over: %v", err)
		}
		seen := held.Lease
		taken, err := s.TakeOver(ctx, bob, seen, false)
		if err != nil || taken.Fence != 2 || taken.Holder != "bob" || !strings.Contains(taken.TakenOverFrom, "alice on laptop-a (run run-a, fence 1)") {
			t.Fatalf("take-over: %+v %v", taken, err)
		}
		carol := Lease{Runbook: "store", Run: "run-c", Holder: "carol", Host: "laptop-c"}
		if _, err := s.TakeOver(ctx, carol, seen, false); !errors.As(err, &held) || held.Lease.Holder != "bob" {
			t.Fatalf("a second take-over of the same lease must fail: %v", err)
		}
		if _, err := s.Renew(ctx, alice); !errors.Is(err, ErrLost) {
			t.Fatalf("the old holder's renewal: %v", err)
		}
		if err := s.Release(ctx, alice); !errors.Is(err, ErrLost) {
			t.Fatalf("the old holder's release: %v", err)
		}
		if err := s.Release(ctx, taken); err != nil {
			t.Fatalf("release: %v", err)
		}
		got, err = s.Acquire(ctx, carol)
		if err != nil || got.Fence != 3 {
			t.Fatalf("acquire after a release: %+v %v", got, err)
		}
		cur, ok, err := s.Current(ctx, "store")
		if err != nil || !ok || cur.Holder != "carol" || cur.Fence != 3 {
			t.Fatalf("current: %+v %v %v", cur, ok, err)
		}
		if _, ok, err := s.Current(ctx, "other"); ok || err != nil {
			t.Fatalf("current of a runbook never run: %v %v", ok, err)
		}
	})
}

// TestLockTableUnreachable: a table that does not exist, or an endpoint
// that does not answer, is an error that names the table and the Region.
func TestLockTableUnreachable(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := b.store(t, "us-west-2")
		_, err := s.Acquire(testCtx(t), Lease{Runbook: "store", Run: "r"})
		if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "lock table "+s.cfg.LockTable+" does not exist in us-west-2") {
			t.Fatalf("acquire on a missing table: %v", err)
		}
		if err := s.CheckTable(testCtx(t)); !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "drpilot team init") {
			t.Fatalf("check of a missing table: %v", err)
		}
	})
	dead := backend{name: "closed", endpoint: "http://127.0.0.1:1"}
	s := dead.store(t, "us-west-2")
	if _, err := s.Acquire(testCtx(t), Lease{Runbook: "store", Run: "r"}); err == nil || !strings.Contains(err.Error(), "lock table") {
		t.Fatalf("acquire with no endpoint: %v", err)
	}
}
