package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
	"github.com/drpilot/drpilot/team"
)

// motoStore is a team Store with its own lock table and bucket on a
// moto_server started for the test.
func motoStore(t *testing.T, ctx context.Context) *team.Store {
	t.Helper()
	endpoint := startMoto(t)
	cfg := team.Config{Region: "us-west-2", LockTable: "runs", AuditBucket: fmt.Sprintf("audit-%d", time.Now().UnixNano()), Retention: 24 * time.Hour}
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(cfg.Region), config.WithBaseEndpoint(endpoint),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDWATCH", "watch-secret", "")),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}))
	if err != nil {
		t.Fatal(err)
	}
	clients, _ := awsclient.NewFactory(awsclient.Options{Config: awsCfg})
	store, err := team.Open(clients, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Init(ctx); err != nil {
		t.Fatal(err)
	}
	return store
}

// teamKeys writes keys/NAME.pub for each name next to a runbook in dir
// and returns the private keys.
func teamKeys(t *testing.T, dir string, names ...string) map[string]ed25519.PrivateKey {
	t.Helper()
	os.MkdirAll(filepath.Join(dir, "keys"), 0o700)
	privs := map[string]ed25519.PrivateKey{}
	for _, n := range names {
		priv, _ := audit.GenerateKey()
		pub, _ := audit.PublicKeyPEM(priv.Public().(ed25519.PublicKey))
		if err := os.WriteFile(filepath.Join(dir, "keys", n+".pub"), pub, 0o644); err != nil {
			t.Fatal(err)
		}
		privs[n] = priv
	}
	return privs
}

// TestWatchShowsAndAnswersApprovals: a step waiting at a gate for two
// approvals shows who approved and who is awaited; a watcher whose key
// is trusted approves it from the watch, once; one whose key is not is
// told why not. The header names the lock's holder, then says nobody
// holds it once the run released it.
func TestWatchShowsAndAnswersApprovals(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store := motoStore(t, ctx)
	dir := t.TempDir()
	privs := teamKeys(t, dir, "alice", "bob", "carol")
	bobKey := filepath.Join(t.TempDir(), "bob.pem")
	if err := audit.WriteKey(bobKey, privs["bob"]); err != nil {
		t.Fatal(err)
	}
	run := "params-20261203T101500Z-1a2b"
	lease, err := store.Acquire(ctx, team.Lease{Runbook: "params", Run: run, Holder: "alice", Host: "alice-laptop",
		Log: store.LogURL("params", run)})
	if err != nil {
		t.Fatal(err)
	}
	gate := team.GateBody{Runbook: "params", Run: run, Step: "set-flag", Title: "Turn maintenance mode on", Confirm: "type",
		Calls:     []team.GateCall{{Operation: "ssm:PutParameter", Region: "eu-west-2", Input: map[string]any{"Name": "/shop/maintenance", "Value": "on"}}},
		Approvals: 2, Approvers: []string{"alice", "bob", "carol"}, Operator: "alice", Published: time.Now(), Fence: lease.Fence}
	if err := store.PublishGate(ctx, gate); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Answer(ctx, privs["alice"], "alice", gate, team.Approve, ""); err != nil {
		t.Fatal(err)
	}
	w := &watcher{opts: watchOptions{key: bobKey}, store: store, leaseOf: "params", run: run, src: &dirSource{dir: dir},
		rb: &runbooks.Runbook{File: filepath.Join(dir, "params.toml")}, waiting: map[string]bool{"set-flag": true, "other": true}}
	s := &status{w: w, me: w.loadApprover()}
	st := s.read(ctx)
	if want := "WATCHING run " + run + " — held by alice on alice-laptop (fence 1, renewed"; !strings.HasPrefix(st.Header, want) {
		t.Errorf("header %q, want %q…", st.Header, want)
	}
	ws, ok := st.Steps["set-flag"]
	if !ok || ws.Approvals != "approvals: 1 of 2 — alice ✓; awaiting bob, carol" || ws.CannotApprove != "" ||
		!strings.Contains(strings.Join(ws.Gate, "\n"), `ssm:PutParameter in eu-west-2 {"Name":"/shop/maintenance","Value":"on"}`) {
		t.Fatalf("the waiting step: %+v", st.Steps)
	}
	if _, waits := st.Steps["other"]; waits {
		t.Error("a step without a gate shows as waiting for approvals")
	}
	if err := s.answer(ctx, "set-flag", true, ""); err != nil {
		t.Fatal(err)
	}
	st = s.read(ctx)
	if ws := st.Steps["set-flag"]; ws.Approvals != "approvals: 2 of 2 — alice ✓; bob ✓" || !strings.Contains(ws.CannotApprove, "have answered set-flag already") {
		t.Errorf("after bob's approval: %+v", ws)
	}
	if err := s.answer(ctx, "set-flag", true, ""); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("a second answer: %v", err)
	}

	// A watcher whose key the team does not trust.
	stranger, _ := audit.GenerateKey()
	strangerKey := filepath.Join(t.TempDir(), "stranger.pem")
	audit.WriteKey(strangerKey, stranger)
	w.opts.key = strangerKey
	s = &status{w: w, me: w.loadApprover()}
	if ws := s.read(ctx).Steps["set-flag"]; !strings.Contains(ws.CannotApprove, "is not among the team's keys") {
		t.Errorf("an untrusted watcher: %+v", ws)
	}

	// The run releases the lock: the watch still shows it, as the last.
	if err := store.Release(ctx, lease); err != nil {
		t.Fatal(err)
	}
	if h := s.read(ctx).Header; !strings.Contains(h, "nobody holds the lock; showing the last run, "+run) {
		t.Errorf("header after the release: %q", h)
	}
	var stderr bytes.Buffer
	w2 := &watcher{opts: watchOptions{stderr: &stderr}}
	if err := w2.followLease(ctx, store, "params"); err != nil || w2.src.Where() != "copy "+store.LogURL("params", run) ||
		!strings.Contains(stderr.String(), "nobody holds the lock; showing the last run, "+run) {
		t.Errorf("following the lease: %v, %s, %q", err, w2.src.Where(), stderr.String())
	}
	if err := w2.followLease(ctx, store, "never-run"); exitCode(err) != exitBadInput {
		t.Errorf("a runbook nobody ran: %v", err)
	}
}
