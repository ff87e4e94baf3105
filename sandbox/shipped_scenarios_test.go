package sandbox

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// shippedRunbooks are the runbooks drpilot ships in runbooks/; each has a
// scenario of the same name in runbooks/scenarios/ that stages its
// disaster.
var shippedRunbooks = []string{
	"backup-restore-rapid-recovery",
	"ecommerce-pilot-light",
	"ecs-fargate-failover",
	"store-region-failover",
}

// shippedTimeScale is the time scale every shipped scenario runs at.
const shippedTimeScale = 60

// TestShippedScenarios loads every scenario in runbooks/scenarios as
// drpilot sandbox --scenario does, and checks that it stages its runbook's
// disaster: exactly one scenario per shipped runbook, the runbook's
// account, time scale 60, and an outage of the runbook's primary Region
// that its calls and its application feel while the recovery Region works.
func TestShippedScenarios(t *testing.T) {
	t.Parallel()
	for _, p := range checkShippedScenarios(t, "../runbooks/scenarios", "../runbooks") {
		t.Error(p)
	}
}

// TestShippedScenarioCheckCatchesProblems makes sure the check above can
// fail: a directory with a scenario missing, and one that loads but
// stages no disaster and names another account.
func TestShippedScenarioCheckCatchesProblems(t *testing.T) {
	t.Parallel()
	dir, runbooks := t.TempDir(), t.TempDir()
	writeScenarioFile(t, filepath.Join(runbooks, "ecommerce-pilot-light.toml"), `format = 1
[runbook]
id = "ecommerce-pilot-light"
title = "t"
account = "123456789012"
[runbook.regions]
primary = "us-east-1"
recovery = "us-west-2"
`)
	writeScenarioFile(t, filepath.Join(dir, "ecommerce-pilot-light.toml"), `account = "210987654321"
time_scale = 1
`)
	writeScenarioFile(t, filepath.Join(dir, "not-a-runbook.toml"), `account = "123456789012"
[[create]]
service = "rds"
region = "us-east-1"
operation = "CreateDBInstance"
`)
	got := strings.Join(checkShippedScenarios(t, dir, runbooks), "\n")
	for _, want := range []string{
		"2 scenarios in " + dir + ", want 4",
		"no scenario for backup-restore-rapid-recovery",
		"not-a-runbook.toml: no shipped runbook of that id",
		"not-a-runbook.toml:2:1: create[0]: rds CreateDBInstance in us-east-1: InvalidParameterValue",
		"ecommerce-pilot-light.toml: account 210987654321, want the runbook's 123456789012",
		"ecommerce-pilot-light.toml: time_scale 1, want 60",
		"ecommerce-pilot-light.toml: no outage of the primary Region us-east-1 in [[faults]]",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the check does not report %q; it reports:\n%s", want, got)
		}
	}
}

// checkShippedScenarios checks the scenarios in dir against the runbooks
// in runbookDir and returns every problem found.
func checkShippedScenarios(t *testing.T, dir, runbookDir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.toml"))
	if err != nil {
		return []string{err.Error()}
	}
	sort.Strings(files)
	var problems []string
	if len(files) != len(shippedRunbooks) {
		problems = append(problems, fmt.Sprintf("%d scenarios in %s, want %d: one per shipped runbook (%s)",
			len(files), dir, len(shippedRunbooks), strings.Join(shippedRunbooks, ", ")))
	}
	have := map[string]bool{}
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".toml")
		have[id] = true
		problems = append(problems, checkShippedScenario(t, f, id, runbookDir)...)
	}
	for _, id := range shippedRunbooks {
		if !have[id] {
			problems = append(problems, fmt.Sprintf("no scenario for %s: want %s", id, filepath.Join(dir, id+".toml")))
		}
	}
	return problems
}

// shippedRunbook is what a scenario is checked against: the part of a
// runbook that names the account and the Regions.
type shippedRunbook struct {
	Runbook struct {
		Account string `toml:"account"`
		Regions struct {
			Primary  string `toml:"primary"`
			Recovery string `toml:"recovery"`
		} `toml:"regions"`
	} `toml:"runbook"`
}

func checkShippedScenario(t *testing.T, path, id, runbookDir string) []string {
	t.Helper()
	known := false
	for _, r := range shippedRunbooks {
		known = known || r == id
	}
	var problems []string
	if !known {
		problems = append(problems, fmt.Sprintf("%s: no shipped runbook of that id (%s)", path, strings.Join(shippedRunbooks, ", ")))
	}
	sc, err := LoadScenario(path)
	if err != nil {
		return append(problems, err.Error())
	}
	sb, err := NewFromScenario(sc, 0)
	if err != nil {
		return append(problems, err.Error())
	}
	if !known {
		return problems
	}
	var rb shippedRunbook
	if _, err := toml.DecodeFile(filepath.Join(runbookDir, id+".toml"), &rb); err != nil {
		return append(problems, fmt.Sprintf("%s: its runbook: %v", path, err))
	}
	account, primary, recovery := rb.Runbook.Account, rb.Runbook.Regions.Primary, rb.Runbook.Regions.Recovery
	if sc.Account != account {
		problems = append(problems, fmt.Sprintf("%s: account %s, want the runbook's %s", path, sc.Account, account))
	}
	if sc.TimeScale != shippedTimeScale {
		problems = append(problems, fmt.Sprintf("%s: time_scale %g, want %d", path, sc.TimeScale, shippedTimeScale))
	}
	outage, partial := false, false
	for _, f := range sc.Faults {
		if f.Outage != nil && !f.Outage.Clear && f.Outage.Region == primary {
			outage, partial = true, len(f.Outage.Services) > 0
		}
	}
	if !outage {
		return append(problems, fmt.Sprintf("%s: no outage of the primary Region %s in [[faults]]", path, primary))
	}

	// The disaster as clients see it: the primary Region's calls (all of
	// them, unless the outage is limited to some services) and its
	// application fail, the recovery Region's work, as the runbook's
	// account.
	srv := httptest.NewServer(sb)
	defer srv.Close()
	if _, err := sts.NewFromConfig(awsConfig(t, srv.URL, primary)).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}); !partial && apiCode(err) != "ServiceUnavailable" {
		problems = append(problems, fmt.Sprintf("%s: a call to %s answers %v, want ServiceUnavailable", path, primary, err))
	}
	who, err := sts.NewFromConfig(awsConfig(t, srv.URL, recovery)).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	switch {
	case err != nil:
		problems = append(problems, fmt.Sprintf("%s: a call to %s answers %v, want account %s", path, recovery, err, account))
	case aws.ToString(who.Account) != account:
		problems = append(problems, fmt.Sprintf("%s: a call to %s answers for account %s, want %s", path, recovery, aws.ToString(who.Account), account))
	}
	for region, want := range map[string]int{primary: 503, recovery: 200} {
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, httptest.NewRequest("GET", "/_sandbox/app/"+region+"/healthz", nil))
		if rec.Code != want {
			problems = append(problems, fmt.Sprintf("%s: the application in %s answers %d, want %d", path, region, rec.Code, want))
		}
	}
	return problems
}

func writeScenarioFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
