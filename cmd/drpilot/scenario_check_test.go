package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drpilot/drpilot/sandbox"
)

// repoScenarios lists every scenario file in the repository: the shipped
// runbooks' and the tests'.
func repoScenarios(t *testing.T) []string {
	t.Helper()
	var out []string
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".toml") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(src, []byte("[[create]]")) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestScenarioInputsInRepo checks every scenario in the repository against
// the AWS model of its operations' inputs: no misspelt member anywhere.
func TestScenarioInputsInRepo(t *testing.T) {
	files := repoScenarios(t)
	if len(files) < 5 {
		t.Fatalf("found only %d scenario files: %v", len(files), files)
	}
	for _, f := range files {
		if _, err := loadScenario(f); err != nil {
			t.Errorf("%v", err)
		}
	}
}

func TestScenarioInputCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, service, operation, input string
		want                            []string // substrings of the one error; none for no problem
	}{
		{"typo", "rds", "CreateDBInstance", `{ DBInstanceIdentifer = "db-1" }`,
			[]string{"t.toml:2:1: create[0]: rds CreateDBInstance: input member DBInstanceIdentifer is not a member", "did you mean DBInstanceIdentifier?"}},
		{"wrong case names the model's member", "rds", "CreateDBInstance", `{ dbInstanceIdentifier = "db-1" }`,
			[]string{"rds CreateDBInstance: input member dbInstanceIdentifier is spelt DBInstanceIdentifier"}},
		{"a member the operation lacks", "sns", "CreateTopic", `{ Name = "t", TopicArn = "arn" }`,
			[]string{"sns CreateTopic: input member TopicArn is not a member"}},
		{"nested, under the CLI's list name", "s3", "PutBucketReplication",
			`{ Bucket = "b", ReplicationConfiguration = { Role = "r", Rules = [{ Destnation = {} }] } }`,
			[]string{"ReplicationConfiguration.Rules[0].Destnation", "did you mean Destination?"}},
		{"XML list name", "ec2", "RunInstances", `{ MinCount = 1, MaxCount = 1, TagSpecification = [] }`,
			[]string{"TagSpecification", "did you mean TagSpecifications?"}},
		{"camelCase API suggests its own spelling", "ecs", "CreateService", `{ serviceNme = "web" }`,
			[]string{"ecs CreateService: input member serviceNme", "did you mean serviceName?"}},
		{"CloudWatch by its signing name", "monitoring", "PutMetricAlarm", `{ AlarmNam = "a" }`,
			[]string{"monitoring PutMetricAlarm", "did you mean AlarmName?"}},
		{"ELBv2 by its signing name", "elasticloadbalancing", "CreateTargetGroup", `{ Name = "tg", VpcID = "vpc-1" }`,
			[]string{"elasticloadbalancing CreateTargetGroup: input member VpcID is spelt VpcId"}},
		{"right names", "ecs", "CreateService", `{ cluster = "c", serviceName = "web", desiredCount = 2 }`, nil},
		{"operation the SDK lacks", "rds", "NoSuchOperation", `{ Anything = 1 }`, nil},
		{"service the SDK lacks", "no-such-service", "CreateThing", `{ Anything = 1 }`, nil},
	} {
		src := "\n[[create]]\nservice = \"" + tc.service + "\"\nregion = \"eu-west-1\"\noperation = \"" + tc.operation + "\"\ninput = " + tc.input + "\n"
		sc, err := sandbox.ParseScenario("t.toml", []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		err = sc.CheckInputs(checkScenarioInput)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: want no problem, got %v", tc.name, err)
			}
			continue
		}
		if err == nil || strings.Count(err.Error(), "\n") != 0 {
			t.Errorf("%s: want one problem, got %v", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", tc.name, err, w)
			}
		}
	}
}

// typoScenario is params.toml's scenario with a misspelt member in its
// second entry.
const typoScenario = `account    = "123456789012"
time_scale = 600

[[create]]
service   = "ssm"
region    = "eu-west-2"
operation = "PutParameter"
input     = { Name = "/shop/maintenance", Value = "off", Type = "String" }

[[create]]
service   = "rds"
region    = "eu-west-2"
operation = "CreateDBInstance"
input     = { DBInstanceIdentifer = "shop-db", Engine = "postgres", DBInstanceClass = "db.t3.micro" }
`

// TestScenarioTypoRefused runs every command that loads a scenario on one
// with a misspelt member: each exits with bad input before serving or
// running, naming the file, line, service, operation, member and the
// member meant.
func TestScenarioTypoRefused(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "typo.toml")
	if err := os.WriteFile(file, []byte(typoScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	want := file + `:10:1: create[1]: rds CreateDBInstance: input member DBInstanceIdentifer is not a member of the operation's input; did you mean DBInstanceIdentifier?`
	for _, args := range [][]string{
		{"sandbox", "--addr", "127.0.0.1:0", "--scenario", file},
		{"run", paramsRunbook, "--sandbox", "--headless", "--yes", "--scenario", file, "--audit-dir", runDir(t)},
		{"ready", "--sandbox", "--scenario", file, paramsRunbook},
	} {
		// Should the check let the file through, the sandbox would serve
		// until cancelled: the deadline only ends the test.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var stdout, stderr bytes.Buffer
		code := run(ctx, args, &stdout, &stderr)
		cancel()
		if code != exitBadInput || !strings.Contains(stderr.String(), want) {
			t.Errorf("drpilot %s: exit %d, want 2 and\n%s\ngot:\n%s%s", strings.Join(args, " "), code, want, &stdout, &stderr)
		}
		if strings.Contains(stdout.String(), "listening") || strings.Contains(stdout.String(), "serving") {
			t.Errorf("drpilot %s served: %s", args[0], &stdout)
		}
	}
}
