package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/policy"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
)

// restoreSearchScenario has the recovery domain catalog-search in
// eu-central-1 and, in its repository dr-snapshots (written by the
// primary Region's domain), a snapshot of 30 hours ago, one of 2 hours
// ago, and a partial one of 30 minutes ago that "latest" passes over.
const restoreSearchScenario = searchScenario + `
[[search_snapshots]]
region     = "eu-central-1"
domain     = "catalog-search"
repository = "dr-snapshots"
name       = "nightly-1"
ago        = "30h"
indices    = ["products", "reviews-2025", "reviews-2026", ".kibana_1"]

[[search_snapshots]]
region     = "eu-central-1"
domain     = "catalog-search"
repository = "dr-snapshots"
name       = "hourly-2"
ago        = "2h"
indices    = ["products", "reviews-2025", "reviews-2026", ".kibana_1"]

[[search_snapshots]]
region     = "eu-central-1"
domain     = "catalog-search"
repository = "dr-snapshots"
name       = "hourly-3"
ago        = "30m"
indices    = ["products", "reviews-2026"]
state      = "PARTIAL"
`

// restoreSearchRunbook restores snapshot with extra settings, rpo 4h.
func restoreSearchRunbook(snapshot, extra string) string {
	step := fmt.Sprintf(`
[[steps]]
id = "r"
phase = "restore"
title = "Restore the search indices"
action = "opensearch.restore-snapshot"
doc = "x"
timeout = "30m"
[steps.with]
domain_name = "catalog-search"
repository = "dr-snapshots"
snapshot = %q
indices = ["products", "reviews-*"]
%s
[steps.outputs]
snapshot = "Snapshot"
indices = "Indices"
status = "Status"
`, snapshot, extra)
	return restoreRunbook("eu-west-1", "eu-central-1", "4h", step)
}

// restorePosts are the restore requests the domain endpoint received.
func restorePosts(tr *testRun) []sandbox.Entry {
	entries, _ := tr.sb.Journal().Entries()
	var out []sandbox.Entry
	for _, e := range entries {
		if e.Service == "web" && e.Operation == http.MethodPost && strings.HasSuffix(e.URL, "/_restore") {
			out = append(out, e)
		}
	}
	return out
}

func TestOpenSearchRestoreSnapshot(t *testing.T) {
	t.Parallel()
	t.Run("the latest snapshot, then a run that finds it restored", func(t *testing.T) {
		t.Parallel()
		approver := &scriptedApprover{}
		src := restoreSearchRunbook("latest", "")
		tr := startRun(t, src, restoreSearchScenario, runOptions{approver: approver})
		out := stepOutputs(t, tr, "r")
		if out["snapshot"] != "hourly-2" || out["status"] != "green" || fmt.Sprint(out["indices"]) != "[products reviews-2025 reviews-2026]" {
			t.Errorf("outputs %v", out)
		}
		posts := restorePosts(tr)
		if len(posts) != 1 || posts[0].Status != http.StatusOK || !strings.Contains(posts[0].URL, "/_snapshot/dr-snapshots/hourly-2/_restore") {
			t.Fatalf("restore requests %+v", posts)
		}
		if !hasNote(tr, "r", "the newest successful snapshot hourly-2 of repository dr-snapshots") || !hasNote(tr, "r", "within the rpo of 4h") ||
			!hasNote(tr, "r", "data restored to") {
			t.Errorf("notes %v", stepNotes(tr, "r"))
		}
		// The gate showed the URL and the body that were sent.
		if len(approver.seen) != 1 || len(approver.seen[0].Calls) != 1 {
			t.Fatalf("gates %+v", approver.seen)
		}
		shown := approver.seen[0].Calls[0]
		body := fmt.Sprint(shown.Input["Body"])
		if shown.Operation != "es:ESHttpPost" || !strings.HasPrefix(fmt.Sprint(shown.Input["URL"]), "https://search-catalog-search-") ||
			!strings.HasSuffix(fmt.Sprint(shown.Input["URL"]), ".eu-central-1.es.amazonaws.com/_snapshot/dr-snapshots/hourly-2/_restore") ||
			body != "map[include_global_state:false indices:products,reviews-*]" {
			t.Errorf("the gate showed %+v", shown)
		}
		checkGatesShowWhatIsSent(t, tr, approver)
		tr.verify()

		// A retried or resumed run finds the indices and only waits.
		again := startRun(t, src, "", runOptions{on: tr})
		if out := stepOutputs(t, again, "r"); out["status"] != "green" {
			t.Errorf("second run outputs %v", out)
		}
		if n := len(restorePosts(again)); n != 1 || !hasNote(again, "r", "exist already") {
			t.Errorf("%d restore requests in all; notes %v", n, stepNotes(again, "r"))
		}
		again.verify()
	})
	t.Run("a named snapshot under other names", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, restoreSearchRunbook("nightly-1", `rename_pattern = "(.+)"`+"\n"+`rename_replacement = "restored-$1"`), restoreSearchScenario, runOptions{})
		out := stepOutputs(t, tr, "r")
		if out["snapshot"] != "nightly-1" || fmt.Sprint(out["indices"]) != "[restored-products restored-reviews-2025 restored-reviews-2026]" {
			t.Errorf("outputs %v", out)
		}
		if !hasNote(tr, "r", "older than the runbook's rpo of 4h") {
			t.Errorf("notes %v", stepNotes(tr, "r"))
		}
		tr.verify()
	})
}

// TestOpenSearchRestoreDryRun: a dry run shows the restore and sends none,
// and goes on for a domain that an earlier step would create.
func TestOpenSearchRestoreDryRun(t *testing.T) {
	t.Parallel()
	dry := startRun(t, restoreSearchRunbook("latest", ""), restoreSearchScenario, runOptions{mode: ModeDryRun})
	if out := stepOutputs(t, dry, "r"); out["snapshot"] != "hourly-2" {
		t.Errorf("dry-run outputs %v", out)
	}
	if n := len(restorePosts(dry)); n != 0 {
		t.Errorf("dry-run sent %d restores", n)
	}
	var simulated []CallInfo
	for _, e := range dry.rec.of(EventCallDone, "r") {
		if e.Simulated {
			simulated = append(simulated, *e.Call)
		}
	}
	if len(simulated) != 1 || !strings.HasSuffix(fmt.Sprint(simulated[0].Input["URL"]), "/_snapshot/dr-snapshots/hourly-2/_restore") {
		t.Errorf("simulated calls %+v", simulated)
	}
	dry.verify()

	// A domain an earlier step would create: the rehearsal goes on.
	src := strings.Replace(restoreSearchRunbook("latest", ""), `domain_name = "catalog-search"`, `domain_name = "catalog-dr"`, 1)
	out := dryRunOutputs(t, src, restoreSearchScenario, "r")
	if out["snapshot"] != "<the newest SUCCESS snapshot at run time>" {
		t.Errorf("dry-run outputs for a missing domain %v", out)
	}
}

func TestOpenSearchRestoreFails(t *testing.T) {
	t.Parallel()
	red := restoreSearchScenario + "\n[[faults]]\nstuck = { service = \"es\", region = \"eu-central-1\", id = \"catalog-search/products\", state = \"red\" }\n"
	for _, tc := range []struct{ name, snapshot, scenario, want string }{
		{"an index that stays red", "latest", red, "red: 10 shards unassigned, 0 initializing; a primary shard of products, reviews-2025, reviews-2026 is not allocated"},
		{"a partial snapshot named", "hourly-3", restoreSearchScenario, "snapshot hourly-3 of repository dr-snapshots is PARTIAL, not SUCCESS"},
		{"a snapshot that does not exist", "weekly-9", restoreSearchScenario, "repository dr-snapshots of domain catalog-search has no snapshot named weekly-9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, restoreSearchRunbook(tc.snapshot, ""), tc.scenario, runOptions{})
			if err := stepError(tr); !strings.Contains(err, tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			tr.verify()
		})
	}
}

// TestDomainEndpointWantsSigV4ForES: the domain's endpoint answers only a
// request signed for es in its Region, as a domain with an IAM access
// policy does; the factory signs for es and refuses a POST in dry-run.
func TestDomainEndpointWantsSigV4ForES(t *testing.T) {
	t.Parallel()
	tr := prepareRun(t, restoreSearchRunbook("latest", ""), restoreSearchScenario, runOptions{})
	ctx := context.Background()
	host := ""
	out := readBack(t, tr, "es", "eu-central-1", "DescribeDomain", map[string]any{"DomainName": "catalog-search"})
	host = respString(respMap(out["DomainStatus"]), "Endpoint")
	target := sandbox.WebURL(tr.endpoint, "https://"+host+"/_snapshot/dr-snapshots/_all")
	resp, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned: %d", resp.StatusCode)
	}
	for _, tc := range []struct {
		service string
		want    int
	}{{"rds", http.StatusForbidden}, {"es", http.StatusOK}} {
		ans, err := tr.exec.opts.Clients.SignedRequest(ctx, tc.service, "eu-central-1", http.MethodGet, target, nil)
		if err != nil || ans.Status != tc.want {
			t.Errorf("signed for %s: %d %s, %v", tc.service, ans.Status, ans.Body, err)
		}
	}
	dry := prepareRun(t, restoreSearchRunbook("latest", ""), "", runOptions{on: tr, mode: ModeDryRun})
	if _, err := dry.exec.opts.Clients.SignedRequest(ctx, "es", "eu-central-1", http.MethodPost, target, []byte("{}")); err == nil ||
		!strings.Contains(err.Error(), "dry-run: es:ESHttpPost is not classified read-only") {
		t.Errorf("dry-run POST: %v", err)
	}
}

// TestPolicyGrantsTheDomainPaths: drpilot policy grants the restore's POST
// and the reads on the domain's paths, not on every domain.
func TestPolicyGrantsTheDomainPaths(t *testing.T) {
	t.Parallel()
	_, plan := parseRunbook(t, restoreSearchRunbook("latest", ""))
	const paths = "arn:aws:es:eu-central-1:123456789012:domain/catalog-search/*"
	want := map[string]bool{"es:ESHttpPost": true, "es:ESHttpGet": false}
	for _, p := range policy.For([]*runbooks.RunPlan{plan}, policy.ModeLive).Permissions {
		mutating, ok := want[p.Action]
		if !ok {
			continue
		}
		delete(want, p.Action)
		if fmt.Sprint(p.Resources) != "["+paths+"]" || p.Mutating != mutating {
			t.Errorf("%s on %v (mutating %v)", p.Action, p.Resources, p.Mutating)
		}
	}
	if len(want) > 0 {
		t.Errorf("not granted: %v", want)
	}
}

// TestOpenSearchRestoreResumedAfterAnUnansweredRestore: a run killed after
// its restore's aws.request, the restore having reached the domain, is
// resumed: the step finds the indices and sends no second restore.
func TestOpenSearchRestoreResumedAfterAnUnansweredRestore(t *testing.T) {
	t.Parallel()
	src := restoreSearchRunbook("latest", "")
	interrupted := prepareRun(t, src, restoreSearchScenario, runOptions{})
	reqs := plannedOnce(t, interrupted, "r")
	body, _ := json.Marshal(reqs[0].Input["Body"])
	target := sandbox.WebURL(interrupted.endpoint, fmt.Sprint(reqs[0].Input["URL"]))
	if ans, err := interrupted.exec.opts.Clients.SignedRequest(context.Background(), "es", reqs[0].Region, http.MethodPost, target, body); err != nil || ans.Status != http.StatusOK {
		t.Fatalf("the restore: %v %s", err, ans.Body)
	}
	resumed := resumeUnanswered(t, src, interrupted, "r", "es:ESHttpPost")
	succeeded(t, resumed)
	if n := len(restorePosts(resumed)); n != 1 || !hasNote(resumed, "r", "exist already") {
		t.Errorf("%d restores reached the domain, want 1; notes %v", n, stepNotes(resumed, "r"))
	}
}

// TestOpenSearchRestoreUnderItsGeneratedPolicy: the restore runs under the
// policy drpilot generates for it, the sandbox holding the domain's
// requests to it as IAM does, with no denial; without es:ESHttpPost the
// restore is denied on the domain's path.
func TestOpenSearchRestoreUnderItsGeneratedPolicy(t *testing.T) {
	t.Parallel()
	src := restoreSearchRunbook("latest", "")
	_, plan := parseRunbook(t, src)
	doc := policy.For([]*runbooks.RunPlan{plan}, policy.ModeLive).Policy
	for _, drop := range []string{"", "es:ESHttpPost"} {
		for i := range doc.Statement {
			doc.Statement[i].Action = slices.DeleteFunc(doc.Statement[i].Action, func(a string) bool { return a == drop })
		}
		doc.Statement = slices.DeleteFunc(doc.Statement, func(st policy.Statement) bool { return len(st.Action) == 0 })
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := sandbox.ParsePolicy(raw)
		if err != nil {
			t.Fatal(err)
		}
		tr := startRun(t, src, restoreSearchScenario, runOptions{setup: func(sb *sandbox.Sandbox, _ string) {
			sb.SetPolicies(map[string]*sandbox.Policy{sandboxKey: parsed})
		}})
		denied, _ := tr.sb.Denials()
		switch {
		case drop == "" && (len(denied) > 0 || tr.status("r") != "done" || tr.sb.Granted(sandboxKey)["es:ESHttpPost"] != 1):
			t.Errorf("under the generated policy: step %s, denials %+v, granted %v", tr.status("r"), denied, tr.sb.Granted(sandboxKey))
		case drop != "" && (len(denied) != 1 || denied[0].Action != drop ||
			!strings.HasSuffix(denied[0].Resource, ":domain/catalog-search/_snapshot/dr-snapshots/hourly-2/_restore") || len(denials(tr)) != 1):
			t.Errorf("without %s: denials %+v, in the journal %+v", drop, denied, denials(tr))
		}
	}
}
