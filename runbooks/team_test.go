package runbooks_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// teamBase is a valid runbook with [runbook.team] and approvals on a
// manual and a mutating step; each case of TestTeamValidation changes it
// once. Line numbers in the cases count from its first line.
const teamBase = `format = 1

[runbook]
id = "team"
title = "Team runbook"
rto = "30m"
[runbook.regions]
primary = "us-east-1"
recovery = "us-west-2"
[runbook.team]
region = "recovery"
lock_table = "drpilot-runs"
audit_bucket = "acme-dr-audit"
retention = "400d"

[[steps]]
id = "declare"
phase = "declare"
title = "Declare the incident"
doc = "Say that we fail over."
action = "manual"
checklist = ["Open the incident channel"]
approvals = 2

[[steps]]
id = "promote"
phase = "switch"
title = "Promote the replica"
doc = "Promote the replica in the recovery Region."
action = "rds.promote-read-replica"
approvals = 2
approvers = ["alice", "bob", "carol"]
[steps.with]
db_instance_identifier = "orders-db-replica"
[[steps.require]]
call = "rds:DescribeDBInstances"
input = { DBInstanceIdentifier = "orders-db-replica" }
query = "DBInstances[0].DBInstanceStatus"
equals = "available"

[[steps]]
id = "look"
phase = "verify"
title = "Look at the replica"
doc = "Read its state."
action = "aws.call"
[steps.with]
call = "rds:DescribeDBInstances"
`

// writeTeamRunbook writes src as team.toml next to keys/alice.pub,
// bob.pub and carol.pub, and returns its path.
func writeTeamRunbook(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "bob", "carol"} {
		if err := os.WriteFile(filepath.Join(dir, "keys", name+".pub"), []byte("placeholder\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "team.toml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// checkTeam checks src and returns its diagnostics as
// "line:col: path: message (hint)", without the file name.
func checkTeam(t *testing.T, src string) []string {
	t.Helper()
	file := writeTeamRunbook(t, src)
	_, diags := runbooks.Check(file, steps.Default())
	var got []string
	for _, d := range diags {
		got = append(got, strings.TrimPrefix(d.String(), file+":"))
	}
	return got
}

func TestTeamBaseIsValid(t *testing.T) {
	t.Parallel()
	if got := checkTeam(t, teamBase); len(got) != 0 {
		t.Fatalf("base has diagnostics:\n  %s", strings.Join(got, "\n  "))
	}
}

// TestTeamValidation: every rule of [runbook.team] and of approvals and
// approvers, with the exact diagnostics each mistake produces.
func TestTeamValidation(t *testing.T) {
	t.Parallel()
	type edit struct{ old, new string }
	tests := []struct {
		name  string
		edits []edit
		want  []string
	}{
		{"unknown key", []edit{{`lock_table = `, `lock_tabel = `}}, []string{
			`10:1: runbook.team.lock_table: [runbook.team] has no lock_table (add lock_table = "NAME": the DynamoDB table (partition key "pk", a string) that holds the run's lock and the approvals)`,
			`12:1: runbook.team.lock_tabel: unknown key "lock_tabel" in [runbook.team] (did you mean "lock_table"?)`,
		}},
		{"unknown key case", []edit{{`audit_bucket = `, `Audit_Bucket = `}}, []string{
			`13:1: runbook.team.Audit_Bucket: unknown key "Audit_Bucket": keys are lower case (did you mean "audit_bucket"?)`,
		}},
		{"region primary warns", []edit{{`region = "recovery"`, `region = "primary"`}}, []string{
			`11:10: warning: runbook.team.region: the lock table is in the primary Region, us-east-1: when that Region is down the team cannot take the lock or approve (remove region (the lock then lives in the recovery Region) or name a Region other than the primary)`,
		}},
		{"region literal primary warns", []edit{{`region = "recovery"`, `region = "us-east-1"`}}, []string{
			`11:10: warning: runbook.team.region: the lock table is in the primary Region, us-east-1: when that Region is down the team cannot take the lock or approve (remove region (the lock then lives in the recovery Region) or name a Region other than the primary)`,
		}},
		{"region unknown", []edit{{`region = "recovery"`, `region = "eu-centrl-1"`}}, []string{
			`11:10: runbook.team.region: unknown Region "eu-centrl-1" (did you mean "eu-central-1"? if it is a Region newer than this drpilot, add new_regions = ["eu-centrl-1"] under [runbook])`,
		}},
		{"region malformed", []edit{{`region = "recovery"`, `region = "west"`}}, []string{
			`11:10: runbook.team.region: malformed Region "west" (use primary, recovery or a Region name such as "us-east-1")`,
		}},
		{"region template", []edit{{`region = "recovery"`, `region = "${runbook.regions.recovery}"`}}, []string{
			`11:10: runbook.team.region: templates are not allowed in [runbook.team] (write the value itself: [runbook.team] is read before the run, when no template can be resolved)`,
		}},
		{"lock table missing", []edit{{"lock_table = \"drpilot-runs\"\n", ""}}, []string{
			`10:1: runbook.team.lock_table: [runbook.team] has no lock_table (add lock_table = "NAME": the DynamoDB table (partition key "pk", a string) that holds the run's lock and the approvals)`,
		}},
		{"lock table malformed", []edit{{`"drpilot-runs"`, `"drpilot runs"`}}, []string{
			`12:14: runbook.team.lock_table: malformed DynamoDB table name "drpilot runs" (a DynamoDB table name is 3 to 255 letters, digits, _, - and .)`,
		}},
		{"lock table short", []edit{{`"drpilot-runs"`, `"dr"`}}, []string{
			`12:14: runbook.team.lock_table: malformed DynamoDB table name "dr" (a DynamoDB table name is 3 to 255 letters, digits, _, - and .)`,
		}},
		{"lock table template", []edit{{`"drpilot-runs"`, `"${vars.table}"`}}, []string{
			`12:14: runbook.team.lock_table: templates are not allowed in [runbook.team] (write the value itself: [runbook.team] is read before the run, when no template can be resolved)`,
		}},
		{"lock table wrong type", []edit{{`"drpilot-runs"`, `7`}}, []string{
			`12:14: runbook.team.lock_table: must be a string, not an integer (put it in quotes: "7")`,
		}},
		{"bucket missing", []edit{{"audit_bucket = \"acme-dr-audit\"\n", ""}}, []string{
			`10:1: runbook.team.audit_bucket: [runbook.team] has no audit_bucket (add audit_bucket = "NAME": the S3 bucket, with Object Lock enabled, that keeps the audit log)`,
		}},
		{"bucket upper case", []edit{{`"acme-dr-audit"`, `"Acme-DR-Audit"`}}, []string{
			`13:16: runbook.team.audit_bucket: malformed S3 bucket name "Acme-DR-Audit": it may hold only lower case letters, digits, dots and hyphens, and must start and end with a letter or digit (an S3 bucket name is 3 to 63 lower case letters, digits, dots and hyphens, starting and ending with a letter or digit)`,
		}},
		{"bucket ends with hyphen", []edit{{`"acme-dr-audit"`, `"acme-dr-audit-"`}}, []string{
			`13:16: runbook.team.audit_bucket: malformed S3 bucket name "acme-dr-audit-": it may hold only lower case letters, digits, dots and hyphens, and must start and end with a letter or digit (an S3 bucket name is 3 to 63 lower case letters, digits, dots and hyphens, starting and ending with a letter or digit)`,
		}},
		{"bucket too long", []edit{{`"acme-dr-audit"`, `"` + strings.Repeat("a", 64) + `"`}}, []string{
			`13:16: runbook.team.audit_bucket: malformed S3 bucket name "` + strings.Repeat("a", 64) + `": it is 64 characters long (an S3 bucket name is 3 to 63 lower case letters, digits, dots and hyphens, starting and ending with a letter or digit)`,
		}},
		{"bucket IP address", []edit{{`"acme-dr-audit"`, `"192.168.5.4"`}}, []string{
			`13:16: runbook.team.audit_bucket: malformed S3 bucket name "192.168.5.4": it is formatted as an IP address (an S3 bucket name is 3 to 63 lower case letters, digits, dots and hyphens, starting and ending with a letter or digit)`,
		}},
		{"bucket double dot", []edit{{`"acme-dr-audit"`, `"acme..audit"`}}, []string{
			`13:16: runbook.team.audit_bucket: malformed S3 bucket name "acme..audit": it has two dots in a row (an S3 bucket name is 3 to 63 lower case letters, digits, dots and hyphens, starting and ending with a letter or digit)`,
		}},
		{"retention missing", []edit{{"retention = \"400d\"\n", ""}}, []string{
			`10:1: runbook.team.retention: [runbook.team] has no retention (add retention = "400d": how long Object Lock keeps the audit log's objects)`,
		}},
		{"retention zero", []edit{{`"400d"`, `"0d"`}}, []string{
			`14:13: runbook.team.retention: retention must be longer than zero (give a whole number of days such as "400d")`,
		}},
		{"retention under a day", []edit{{`"400d"`, `"12h"`}}, []string{
			`14:13: runbook.team.retention: retention 12h is shorter than a day, the shortest Object Lock retention (give at least "1d")`,
		}},
		{"retention not whole days", []edit{{`"400d"`, `"1.5d"`}}, []string{
			`14:13: runbook.team.retention: retention 1d12h is not a whole number of days (Object Lock retention is a whole number of days: write "1d" or "2d")`,
		}},
		{"retention over a century", []edit{{`"400d"`, `"36501d"`}}, []string{
			`14:13: runbook.team.retention: duration "36501d" is longer than 100 years, the longest Object Lock retention (give a whole number of days such as "400d")`,
		}},
		{"retention over a century in hours", []edit{{`"400d"`, `"876024h"`}}, []string{
			`14:13: runbook.team.retention: retention 36501d is longer than 100 years, the longest Object Lock retention (give at most "36500d")`,
		}},
		{"retention malformed", []edit{{`"400d"`, `"400 days"`}}, []string{
			`14:13: runbook.team.retention: invalid duration "400 days": days must come first, as in "1d12h" (give a whole number of days such as "400d")`,
		}},
		{"retention wrong type", []edit{{`"400d"`, `400`}}, []string{
			`14:13: runbook.team.retention: must be a duration string, not an integer (durations are strings such as "400d")`,
		}},
		{"retention template", []edit{{`"400d"`, `"${vars.days}"`}}, []string{
			`14:13: runbook.team.retention: templates are not allowed in [runbook.team] (write the value itself: [runbook.team] is read before the run, when no template can be resolved)`,
		}},
		{"approvals without team", []edit{{"[runbook.team]\nregion = \"recovery\"\nlock_table = \"drpilot-runs\"\naudit_bucket = \"acme-dr-audit\"\nretention = \"400d\"\n", ""}}, []string{
			`18:13: steps[0].approvals: approvals = 2 needs [runbook.team] (add a [runbook.team] table with lock_table, audit_bucket and retention: the other approvers approve from their machines through its lock table)`,
			`26:13: steps[1].approvals: approvals = 2 needs [runbook.team] (add a [runbook.team] table with lock_table, audit_bucket and retention: the other approvers approve from their machines through its lock table)`,
		}},
		{"approvals zero", []edit{{"approvals = 2\n\n", "approvals = 0\n\n"}}, []string{
			`23:13: steps[0].approvals: approvals must be at least 1 (write 1 for the operator alone, or the number of distinct keys that must approve)`,
		}},
		{"approvals negative", []edit{{"approvals = 2\n\n", "approvals = -3\n\n"}}, []string{
			`23:13: steps[0].approvals: approvals must be at least 1 (write 1 for the operator alone, or the number of distinct keys that must approve)`,
		}},
		{"approvals wrong type", []edit{{"approvals = 2\n\n", "approvals = \"2\"\n\n"}}, []string{
			`23:13: steps[0].approvals: must be a whole number, not a string (remove the quotes: 2)`,
		}},
		{"approvals with confirm none", []edit{{"approvals = 2\napprovers", "confirm = \"none\"\napprovals = 2\napprovers"}}, []string{
			`32:13: steps[1].approvals: approvals = 2 on a step with confirm = "none": nobody is asked (remove confirm = "none", or remove approvals)`,
		}},
		{"approvals on manual with confirm none", []edit{{"approvals = 2\n\n", "confirm = \"none\"\napprovals = 2\n\n"}}, []string{
			`24:13: steps[0].approvals: approvals = 2 on a step with confirm = "none": nobody is asked (remove confirm = "none", or remove approvals)`,
		}},
		{"approvals on read-only step", []edit{{"[steps.with]\ncall = \"rds:DescribeDBInstances\"\n", "[steps.with]\ncall = \"rds:DescribeDBInstances\"\n[[steps]]\nid = \"look2\"\nphase = \"verify\"\ndoc = \"Again.\"\naction = \"aws.call\"\napprovals = 3\n[steps.with]\ncall = \"rds:DescribeDBInstances\"\n"}}, []string{
			`54:13: steps[3].approvals: approvals = 3 on a read-only step, which asks nobody to confirm (add confirm = "yes" (or "type"))`,
		}},
		{"approvals on read-only step with confirm", []edit{{"[steps.with]\ncall = \"rds:DescribeDBInstances\"\n", "[steps.with]\ncall = \"rds:DescribeDBInstances\"\n[[steps]]\nid = \"look2\"\nphase = \"verify\"\ndoc = \"Again.\"\naction = \"aws.call\"\nconfirm = \"yes\"\napprovals = 3\n[steps.with]\ncall = \"rds:DescribeDBInstances\"\n"}}, nil},
		{"more approvals than approvers", []edit{{"approvals = 2\napprovers", "approvals = 4\napprovers"}}, []string{
			`31:13: steps[1].approvals: approvals = 4 but only 3 approvers: each key counts once, so the step could never be approved (list at least 4 approvers, or lower approvals to at most 3)`,
		}},
		{"approvals equal approvers", []edit{{"approvals = 2\napprovers", "approvals = 3\napprovers"}}, nil},
		{"approvers without approvals", []edit{{"approvals = 2\napprovers", "approvers"}}, []string{
			`31:1: steps[1].approvers: approvers without approvals (add approvals = N, how many of these 3 must approve)`,
		}},
		{"approvers with one approval", []edit{{"approvals = 2\napprovers", "approvals = 1\napprovers"}}, nil},
		{"approvers empty", []edit{{`["alice", "bob", "carol"]`, `[]`}}, []string{
			`32:13: steps[1].approvers: approvers is empty (name the keys whose holders may approve, or remove approvers)`,
		}},
		{"approvers duplicate", []edit{{`["alice", "bob", "carol"]`, `["alice", "bob", "alice"]`}}, []string{
			`32:30: steps[1].approvers[2]: approver "alice" is listed twice (remove the repeat: each key counts once)`,
		}},
		{"approvers duplicate in another case", []edit{{`["alice", "bob", "carol"]`, `["alice", "bob", "Alice"]`}}, []string{
			`32:30: steps[1].approvers[2]: approver "Alice" is listed twice (it names the same key file as "alice" where case is ignored; each key counts once)`,
		}},
		{"approver malformed", []edit{{`["alice", "bob", "carol"]`, `["alice", "bob", "carol/../x"]`}}, []string{
			`32:30: steps[1].approvers[2]: malformed approver name "carol/../x" (an approver is the NAME of keys/NAME.pub: letters, digits, ., _ and -)`,
		}},
		{"approver template", []edit{{`["alice", "bob", "carol"]`, `["alice", "bob", "${vars.who}"]`}}, []string{
			`32:30: steps[1].approvers[2]: templates are not allowed in approvers (write the key's name: approvers are checked before the run)`,
		}},
		{"approvers not a list", []edit{{`["alice", "bob", "carol"]`, `"alice"`}}, []string{
			`32:13: steps[1].approvers: must be a list of strings, not a string (write it as a list: ["alice"])`,
		}},
		{"approvers step key typo", []edit{{"approvals = 2\n\n", "aprovals = 2\n\n"}}, []string{
			`23:1: steps[0].aprovals: unknown key "aprovals" in [[steps]] (did you mean "approvals"?)`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := teamBase
			for _, e := range tc.edits {
				if !strings.Contains(src, e.old) {
					t.Fatalf("base has no %q", e.old)
				}
				src = strings.Replace(src, e.old, e.new, 1)
			}
			got := checkTeam(t, src)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// TestTeamLoadAndPlan: Load reads [runbook.team] and the approval fields
// as written; the plan resolves the team's Region, defaults approvals to
// 1, and shows both in JSON and text.
func TestTeamLoadAndPlan(t *testing.T) {
	t.Parallel()
	file := writeTeamRunbook(t, teamBase)
	rb, diags := runbooks.Load(file)
	if rb == nil || diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	want := runbooks.Team{Region: "recovery", LockTable: "drpilot-runs", AuditBucket: "acme-dr-audit", Retention: runbooks.Minutes(400 * 24 * 60)}
	if rb.Team == nil || *rb.Team != want {
		t.Fatalf("Team = %+v, want %+v", rb.Team, want)
	}
	if s := rb.Steps[1]; s.Approvals != 2 || strings.Join(s.Approvers, ",") != "alice,bob,carol" {
		t.Errorf("promote: approvals %d, approvers %v", s.Approvals, s.Approvers)
	}
	p, diags := runbooks.Plan(rb, steps.Default())
	if p == nil {
		t.Fatalf("plan: %v", diags)
	}
	if p.Team == nil || p.Team.Region != "us-west-2" || rb.Team.Region != "recovery" {
		t.Errorf("plan team = %+v (runbook's %+v): want the Region resolved in the plan only", p.Team, rb.Team)
	}
	for i, want := range []int{2, 2, 1} {
		if got := p.Steps[i].Approvals; got != want {
			t.Errorf("step %d: approvals %d, want %d", i, got, want)
		}
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"team":{"region":"us-west-2","lock_table":"drpilot-runs","audit_bucket":"acme-dr-audit","retention":"400d"}`,
		`"approvals":2,"approvers":["alice","bob","carol"]}`,
		`"approvals":1}`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("plan JSON lacks %s:\n%s", want, out)
		}
	}
	var text strings.Builder
	if err := p.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"team      lock table drpilot-runs in us-west-2 · audit log s3://acme-dr-audit, retained 400d\n",
		"     approvals: 2 of alice, bob, carol\n",
		"     approvals: 2 of any trusted keys\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("plan text lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Count(text.String(), "approvals:") != 2 {
		t.Errorf("a step with the default approvals shows them:\n%s", text.String())
	}
}

// A runbook without [runbook.team] plans without one, and every step
// needs the operator alone.
func TestPlanWithoutTeam(t *testing.T) {
	t.Parallel()
	p := planFixture(t, "testdata/valid/minimal.toml")
	if p.Team != nil {
		t.Errorf("Team = %+v", p.Team)
	}
	for _, s := range p.Steps {
		if s.Approvals != 1 || s.Approvers != nil {
			t.Errorf("%s: approvals %d, approvers %v", s.ID, s.Approvals, s.Approvers)
		}
	}
	out, _ := json.Marshal(p)
	if strings.Contains(string(out), `"team"`) || strings.Contains(string(out), `"approvers"`) {
		t.Errorf("plan JSON has team or approvers: %s", out)
	}
}

// A missing keys/NAME.pub is a warning, not an error: the runbook may be
// checked where the keys are not.
func TestApproverWithoutKeyWarns(t *testing.T) {
	t.Parallel()
	file := writeTeamRunbook(t, teamBase)
	if err := os.Remove(filepath.Join(filepath.Dir(file), "keys", "bob.pub")); err != nil {
		t.Fatal(err)
	}
	_, diags := runbooks.Check(file, steps.Default())
	keyPath := filepath.Join(filepath.Dir(file), "keys", "bob.pub")
	want := file + ":32:23: warning: steps[1].approvers[1]: no public key for approver \"bob\" next to the runbook (have bob run 'drpilot pubkey' and, after your team reviews it, save its output as " +
		keyPath + ")"
	if len(diags) != 1 || diags[0].String() != want {
		t.Fatalf("got %q\nwant %s", diags, want)
	}
}
