package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		name, service, operation string
		input                    map[string]any
		want                     []string // substrings of the one message; none for no problem
	}{
		{"typo", "rds", "CreateDBInstance", map[string]any{"DBInstanceIdentifer": "db-1"},
			[]string{"DBInstanceIdentifer", "rds's CreateDBInstance", "did you mean DBInstanceIdentifier?"}},
		{"wrong case names the model's member", "rds", "CreateDBInstance", map[string]any{"dbInstanceIdentifier": "db-1"},
			[]string{"dbInstanceIdentifier is spelt DBInstanceIdentifier"}},
		{"a member the operation lacks", "sns", "CreateTopic", map[string]any{"Name": "t", "TopicArn": "arn"},
			[]string{"TopicArn", "sns's CreateTopic"}},
		{"nested, under the CLI's list name", "s3", "PutBucketReplication", map[string]any{"Bucket": "b",
			"ReplicationConfiguration": map[string]any{"Role": "r", "Rules": []any{map[string]any{"Destnation": map[string]any{}}}}},
			[]string{"ReplicationConfiguration.Rules[0].Destnation", "did you mean Destination?"}},
		{"XML list name", "ec2", "RunInstances", map[string]any{"MinCount": int64(1), "MaxCount": int64(1), "TagSpecification": []any{}},
			[]string{"TagSpecification", "did you mean TagSpecifications?"}},
		{"camelCase API suggests its own spelling", "ecs", "CreateService", map[string]any{"serviceNme": "web"},
			[]string{"serviceNme", "did you mean serviceName?"}},
		{"signing name of CloudWatch", "monitoring", "PutMetricAlarm", map[string]any{"AlarmNam": "a"},
			[]string{"monitoring's PutMetricAlarm", "did you mean AlarmName?"}},
		{"signing name of ELBv2", "elasticloadbalancing", "CreateTargetGroup", map[string]any{"Name": "tg", "VpcID": "vpc-1"},
			[]string{"VpcID is spelt VpcId in elasticloadbalancing's CreateTargetGroup"}},
		{"right names", "ecs", "CreateService", map[string]any{"cluster": "c", "serviceName": "web", "desiredCount": int64(2)}, nil},
		{"operation the SDK lacks", "rds", "NoSuchOperation", map[string]any{"Anything": 1}, nil},
		{"service the SDK lacks", "no-such-service", "CreateThing", map[string]any{"Anything": 1}, nil},
	} {
		got := checkScenarioInput(tc.service, tc.operation, tc.input)
		if tc.want == nil {
			if len(got) != 0 {
				t.Errorf("%s: want no problem, got %q", tc.name, got)
			}
			continue
		}
		if len(got) != 1 {
			t.Errorf("%s: want one problem, got %q", tc.name, got)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(got[0], w) {
				t.Errorf("%s: %q does not say %q", tc.name, got[0], w)
			}
		}
	}
}
