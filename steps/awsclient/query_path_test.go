package awsclient

import (
	"fmt"
	"strings"
	"testing"
)

// TestCheckQueryPath: a query path is followed through the SDK's output
// type as the Response renders it: exact PascalCase names, list elements,
// map keys of any name, union members; it stops accepting where the type
// does not decide.
func TestCheckQueryPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		op   string
		path []string
		want string // "" when the path can match
	}{
		{"fis:GetExperiment", []string{"Experiment", "State", "Status"}, ""},
		{"fis:GetExperiment", []string{"experiment", "state", "status"},
			`0: fis:GetExperiment's response has no member "experiment" (member experiment is Experiment: queries use the SDK's PascalCase names)`},
		{"fis:GetExperimentTemplate", []string{"ExperimentTemplate", "StopConditions", QueryElem, "source"},
			`3: fis:GetExperimentTemplate's response has no member "source" (at ExperimentTemplate.StopConditions[*]) (member source is Source: queries use the SDK's PascalCase names)`},
		{"dynamodb:DescribeTable", []string{"Table", "TableStatus"}, ""},
		{"dynamodb:DescribeTable", []string{"ResultMetadata"}, `0: dynamodb:DescribeTable's response has no member "ResultMetadata" (its members are Table)`},
		{"ecr:DescribeImages", []string{"ImageDetails", QueryElem, "ImageDigest"}, ""},
		{"ecr:DescribeImages", []string{"ImageDetails", "ImageDigest"},
			`1: ecr:DescribeImages's response has a list where the query reads member "ImageDigest" (at ImageDetails) (a list has no members: write [0].ImageDigest for the first element or [*].ImageDigest for every one)`},
		{"eks:DescribeNodegroup", []string{"Nodegroup", "Status", "Code"},
			`2: eks:DescribeNodegroup's response has a string where the query reads member "Code" (at Nodegroup.Status) (it has no members: end the query before it)`},
		{"eks:DescribeNodegroup", []string{"Nodegroup", "Tags", "any-key"}, ""},
		{"elasticloadbalancing:DescribeTargetHealth", []string{"TargetHealthDescriptions", QueryFlatten, "Target", "Id"}, ""},
		{"dynamodb:GetItem", []string{"Item", "pk", "S"}, ""},
		{"dynamodb:GetItem", []string{"Item", "pk", "Str"}, `2: dynamodb:GetItem's response has no member "Str" (at Item.pk) (its members are B, BOOL, BS, L, M, N, NS, NULL, S, SS)`},
		{"dynamodb:GetItem", []string{"Item", "pk", QueryElem, "x"}, ""},
		{"nosuch:Operation", []string{"x"}, ""},
	} {
		svc, op, _ := strings.Cut(tc.op, ":")
		got := ""
		if p := CheckQueryPath(svc, op, tc.path); p != nil {
			got = fmt.Sprintf("%d: %s (%s)", p.At, p.Message, p.Hint)
		}
		if got != tc.want {
			t.Errorf("%s %v:\n got %s\nwant %s", tc.op, tc.path, got, tc.want)
		}
	}
}
