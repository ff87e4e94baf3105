package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// drpilot runs the whole CLI in-process and returns its exit code and
// output.
func drpilot(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func shippedRunbooks(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../runbooks/*.toml")
	if err != nil || len(files) < 4 {
		t.Fatalf("expected the four shipped runbooks, found %v (%v)", files, err)
	}
	return files
}

func TestCheckShippedRunbooksExitZero(t *testing.T) {
	t.Parallel()
	code, out, errOut := drpilot(t, append([]string{"check"}, shippedRunbooks(t)...)...)
	if code != exitOK {
		t.Fatalf("drpilot check runbooks/*.toml exited %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "INVALID") {
		t.Errorf("a shipped runbook is invalid:\n%s", out)
	}
}

func TestCheckReportsEveryErrorAndExitsTwo(t *testing.T) {
	t.Parallel()
	valid := "../../runbooks/testdata/valid/minimal.toml"
	param := "../../runbooks/testdata/broken/unknown-param.toml"
	after := "../../runbooks/testdata/broken/unknown-after.toml"
	query := "../../runbooks/testdata/broken/query-unknown-member.toml"
	code, out, _ := drpilot(t, "check", valid, param, after, query)
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d\n%s", code, exitBadInput, out)
	}
	for _, want := range []string{
		param + `:35:1: steps[1].with: unknown parameter "db_instanse" for rds.promote-read-replica (did you mean "db_instance_identifier"?)`,
		param + `:34:1: steps[1].with: missing parameter "db_instance_identifier"`,
		after + `:47:10: steps[2].after[0]: unknown step "promte" in after (did you mean "promote"?)`,
		valid + ": ok (0 warnings)",
		param + ": INVALID: 2 errors, 0 warnings",
		query + `:70:9: steps[3].require[0].query: query "experiment.state.status" reads nothing: fis:GetExperiment's response has no member "experiment" (member experiment is Experiment: queries use the SDK's PascalCase names)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestUnknownRegionIsRefused: a misspelt Region is an error that check and
// run both refuse, before anything is sent anywhere, and a Region listed in
// new_regions is accepted.
func TestUnknownRegionIsRefused(t *testing.T) {
	t.Parallel()
	file := "../../runbooks/testdata/broken/unknown-step-region.toml"
	want := file + `:34:10: steps[1].region: unknown Region "eu-centrl-1" (did you mean "eu-central-1"? if it is a Region newer than this drpilot, add new_regions = ["eu-centrl-1"] under [runbook])`
	code, out, _ := drpilot(t, "check", file)
	if code != exitBadInput || !strings.Contains(out, want) {
		t.Errorf("check: exit %d, want 2 and %q:\n%s", code, want, out)
	}
	dir := filepath.Join(t.TempDir(), "run")
	code, out, errOut := drpilot(t, "run", file, "--dry-run", "--headless", "--audit-dir", dir)
	if code != exitBadInput || !strings.Contains(errOut, want) {
		t.Errorf("run: exit %d, want 2 and %q:\n%s%s", code, want, out, errOut)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("run made a run directory for a runbook it refused")
	}
	if code, out, _ := drpilot(t, "check", "../../runbooks/testdata/valid/new-region.toml"); code != exitOK {
		t.Errorf("a Region listed in new_regions: exit %d:\n%s", code, out)
	}
}

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	code, out, _ := drpilot(t, "check", "--json", "../../runbooks/testdata/broken/cycle.toml")
	if code != exitBadInput {
		t.Fatalf("exit %d, want 2", code)
	}
	var results []checkResult
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(results) != 1 || results[0].Valid || len(results[0].Diagnostics) != 2 {
		t.Fatalf("unexpected result: %+v", results)
	}
	d := results[0].Diagnostics[0]
	if d.Line != 23 || d.Col != 10 || d.Path != "steps[0].after[0]" || !strings.HasPrefix(d.Message, "dependency cycle: promote → tell → declare → promote") {
		t.Errorf("first diagnostic = %+v", d)
	}
}

func TestCheckMissingFile(t *testing.T) {
	t.Parallel()
	code, out, _ := drpilot(t, "check", "no-such-runbook.toml")
	if code != exitBadInput || !strings.Contains(out, "no-such-runbook.toml: cannot read the runbook: no such file or directory") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestPlanGolden compares plan output, text and JSON, with golden files.
// Run `go test ./cmd/drpilot -run TestPlanGolden -update` after a change
// that is meant to alter the output, and read the diff.
func TestPlanGolden(t *testing.T) {
	t.Parallel()
	cases := map[string]string{"parallel": "../../runbooks/testdata/valid/parallel.toml"}
	for _, f := range shippedRunbooks(t) {
		cases[strings.TrimSuffix(filepath.Base(f), ".toml")] = f
	}
	for name, file := range cases {
		for _, format := range []string{"text", "json"} {
			args := []string{"plan", file}
			ext := ".txt"
			if format == "json" {
				args, ext = []string{"plan", "--json", file}, ".json"
			}
			code, out, errOut := drpilot(t, args...)
			if code != exitOK {
				t.Fatalf("plan %s exited %d: %s", file, code, errOut)
			}
			golden := filepath.Join("testdata", "plan-"+name+ext)
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if out != string(want) {
				t.Errorf("plan %s (%s) differs from %s; run with -update and read the diff\n--- got:\n%s", file, format, golden, out)
			}
		}
	}
}

func TestPlanInvalidRunbookExitsTwo(t *testing.T) {
	t.Parallel()
	code, out, errOut := drpilot(t, "plan", "../../runbooks/testdata/broken/unknown-action.toml")
	if code != exitBadInput || out != "" || !strings.Contains(errOut, `unknown action "rds.promote-replica" (did you mean "rds.promote-read-replica"?)`) {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
}

func TestPlanJSONInvalidRunbookPrintsDiagnostics(t *testing.T) {
	t.Parallel()
	code, out, _ := drpilot(t, "plan", "--json", "../../runbooks/testdata/broken/many-errors.toml")
	var results []checkResult
	if code != exitBadInput || json.Unmarshal([]byte(out), &results) != nil || len(results) != 1 || len(results[0].Diagnostics) != 4 {
		t.Fatalf("exit %d, stdout:\n%s", code, out)
	}
}

// plan --var shows the run that var makes: the overridden value in the
// calls, the default nowhere; a var the runbook lacks is bad input.
func TestPlanVar(t *testing.T) {
	t.Parallel()
	book := "../../runbooks/ecommerce-pilot-light.toml"
	code, out, errOut := drpilot(t, "plan", book, "--var", "orders_replica=shop-orders-usw2-b")
	if code != exitOK || !strings.Contains(out, "shop-orders-usw2-b") || strings.Contains(out, `"shop-orders-usw2"`) {
		t.Errorf("plan --var: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = drpilot(t, "plan", book, "--var", "nope=1")
	if code != exitBadInput || !strings.Contains(errOut, `the runbook has no var "nope" in [vars]`) {
		t.Errorf("plan --var of no var: exit %d\n%s", code, errOut)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"plan"},
		{"plan", "a.toml", "b.toml"},
		{"check"},
		{"check", "--no-such-flag", "x.toml"},
		{"no-such-command"},
		{"version", "extra"},
	} {
		code, _, errOut := drpilot(t, args...)
		if code != exitBadInput {
			t.Errorf("drpilot %v exited %d, want 2", args, code)
		}
		if !strings.HasPrefix(errOut, "drpilot: ") {
			t.Errorf("drpilot %v: stderr should say what is wrong, got %q", args, errOut)
		}
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	t.Parallel()
	for _, cmd := range newRootCommand().Commands() {
		code, out, errOut := drpilot(t, cmd.Name(), "--help")
		if code != exitOK || !strings.Contains(out, cmd.Name()) {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", cmd.Name(), code, out, errOut)
		}
	}
	if code, out, _ := drpilot(t, "--help"); code != exitOK || !strings.Contains(out, "check") || !strings.Contains(out, "plan") {
		t.Errorf("--help: exit %d:\n%s", code, out)
	}
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, _ := drpilot(t, "completion", shell)
		if code != exitOK || !strings.Contains(out, "drpilot") {
			t.Errorf("completion %s: exit %d, %d bytes", shell, code, len(out))
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, out, _ := drpilot(t, "version")
	lines := strings.Split(out, "\n")
	if code != exitOK || len(lines) < 3 || !strings.HasPrefix(lines[0], "drpilot ") || !strings.HasPrefix(lines[1], "revision ") {
		t.Fatalf("version: exit %d:\n%s", code, out)
	}
}

// TestImportRule keeps the import rule of docs/architecture.md: imports
// point downward only (cmd → ui → steps → runbooks, steps → audit and
// steps/awsclient), and runbooks, audit and the sandbox import nothing of
// drpilot's. A new package must be given its place here and there.
func TestImportRule(t *testing.T) {
	t.Parallel()
	const mod = "github.com/drpilot/drpilot/"
	allowed := map[string][]string{
		"cmd/drpilot":     {"*"},
		"ui":              {"steps", "runbooks"},
		"steps":           {"runbooks", "audit", "steps/awsclient"},
		"steps/awsclient": nil,
		"policy":          {"runbooks", "steps/awsclient"},
		"team":            {"audit", "steps/awsclient"},
		// The generator of steps/awsclient/unions_gen.go, run by go generate.
		"steps/awsclient/internal/genunions": nil,
		"runbooks":                           nil,
		"audit":                              nil,
		"sandbox":                            nil,
		// Starts moto_server for the tests that cross-check against it.
		"internal/moto":       nil,
		"internal/benchtable": nil,
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "../../...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], mod)
		rule, known := allowed[pkg]
		if !known {
			t.Errorf("package %s has no place in the import rule: give it one in docs/architecture.md and in this test", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			dep, ours := strings.CutPrefix(imp, mod)
			if ours && !slices.Contains(rule, "*") && !slices.Contains(rule, dep) {
				t.Errorf("%s imports %s, against the import rule", pkg, dep)
			}
		}
	}
}

// TestCharmOnlyInUIAndCmd keeps the import rule of docs/architecture.md: only ui/ and
// cmd/ may depend on Charm's packages.
func TestCharmOnlyInUIAndCmd(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "../../runbooks", "../../steps", "../../audit", "../../sandbox").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "charm.land/") || strings.HasPrefix(pkg, "github.com/charmbracelet/") {
			t.Errorf("%s is imported outside ui/ and cmd/", pkg)
		}
	}
}
