package awsclient

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestInvokeSendsDynamoDBItemsAsTheCLIWritesThem: an item written in the
// AWS CLI's JSON form reaches the sandbox over HTTP as the AttributeValues
// it means, and comes back in the same form.
func TestInvokeSendsDynamoDBItemsAsTheCLIWritesThem(t *testing.T) {
	t.Parallel()
	f := sandboxFactory(t)
	ctx := context.Background()
	_, err := f.Invoke(ctx, "dynamodb", "us-east-1", "CreateTable", map[string]any{
		"TableName":            "dr-state",
		"KeySchema":            []map[string]any{{"AttributeName": "pk", "KeyType": "HASH"}},
		"AttributeDefinitions": []any{map[string]any{"AttributeName": "pk", "AttributeType": "S"}},
		"BillingMode":          "PAY_PER_REQUEST",
	})
	if err != nil {
		t.Fatal(err)
	}
	item := map[string]any{
		"pk":      map[string]any{"S": "failover"},
		"count":   map[string]any{"N": "3"},
		"done":    map[string]any{"BOOL": true},
		"nothing": map[string]any{"NULL": true},
		"tags":    map[string]any{"SS": []any{"a", "b"}},
		"blob":    map[string]any{"B": "aGVsbG8="},
		"detail": map[string]any{"M": map[string]any{
			"steps": map[string]any{"L": []any{map[string]any{"S": "promote"}, map[string]any{"N": "1.5"}}},
		}},
	}
	if _, err := f.Invoke(ctx, "dynamodb", "us-east-1", "PutItem", map[string]any{"TableName": "dr-state", "Item": item}); err != nil {
		t.Fatal(err)
	}
	key := map[string]any{"pk": map[string]any{"S": "failover"}}
	resp, err := f.Invoke(ctx, "dynamodb", "us-east-1", "GetItem", map[string]any{"TableName": "dr-state", "Key": key})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(resp.Output["Item"], item) {
		t.Errorf("GetItem answered\n %v\nwant\n %v", resp.Output["Item"], item)
	}
	// The SDK's own client reads the same item: what was sent was typed.
	c, _ := f.Client("dynamodb", "us-east-1")
	out, err := c.(*dynamodb.Client).GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String("dr-state"), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "failover"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := out.Item["count"].(*types.AttributeValueMemberN); !ok || n.Value != "3" {
		t.Errorf("count is %#v", out.Item["count"])
	}
	if b, ok := out.Item["blob"].(*types.AttributeValueMemberB); !ok || string(b.Value) != "hello" {
		t.Errorf("blob is %#v", out.Item["blob"])
	}
}

// problemCase is one input and what CheckInput must say about it: each
// want is "path: text the message contains", and no want means no problem.
type problemCase struct {
	name, service, op string
	input             map[string]any
	want              []string
}

var problemCases = []problemCase{
	{"nested typo", "ec2", "DescribeInstances", map[string]any{"Filters": []any{map[string]any{"Name": "x", "Vlaues": []any{"a"}}}},
		[]string{`Filters[0].Vlaues: unknown member "Vlaues" in Filters[0] (its members are Name, Values)`}},
	{"list as string", "ec2", "DescribeInstances", map[string]any{"Filters": []any{map[string]any{"Name": "x", "Values": "a"}}},
		[]string{"Filters[0].Values: member Filters[0].Values must be an array, not a string"}},
	{"quoted integer", "autoscaling", "UpdateAutoScalingGroup", map[string]any{"AutoScalingGroupName": "web", "MinSize": "two"},
		[]string{"MinSize: member MinSize must be an integer, not a string"}},
	{"integer too large", "autoscaling", "UpdateAutoScalingGroup", map[string]any{"MinSize": int64(1) << 40},
		[]string{"MinSize: member MinSize must be an integer, and 1099511627776 is not one that fits"}},
	{"fraction", "autoscaling", "UpdateAutoScalingGroup", map[string]any{"MinSize": 2.5}, []string{"MinSize: "}},
	{"whole float from an output", "autoscaling", "UpdateAutoScalingGroup", map[string]any{"MinSize": 2.0}, nil},
	{"later alone", "autoscaling", "UpdateAutoScalingGroup", map[string]any{"MinSize": Later{Whole: true}, "AutoScalingGroupName": Later{}}, nil},
	{"later in text", "autoscaling", "UpdateAutoScalingGroup", map[string]any{"MinSize": Later{}},
		[]string{"MinSize: member MinSize must be an integer; text around a template makes it a string"}},
	{"enum takes any string", "ssm", "PutParameter", map[string]any{"Name": "/x", "Value": "y", "Type": "NewType"}, nil},
	{"camelCase as the CLI writes ECS", "ecs", "DescribeServices", map[string]any{"cluster": "c", "services": []any{"s"}}, nil},
	{"timestamps", "cloudwatch", "GetMetricStatistics", map[string]any{
		"StartTime": "2026-03-01T09:30:00Z", "EndTime": int64(1772357400), "Period": int64(60)}, nil},
	{"TOML date-time", "cloudwatch", "GetMetricStatistics", map[string]any{"StartTime": time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, nil},
	{"bad timestamp", "cloudwatch", "GetMetricStatistics", map[string]any{"StartTime": "yesterday", "EndTime": true},
		[]string{"EndTime: member EndTime must be a timestamp, not a boolean", "StartTime: member StartTime must be a timestamp, and its text is not RFC 3339"}},
	{"union forms", "dynamodb", "PutItem", map[string]any{"TableName": "t", "Item": map[string]any{
		"a": map[string]any{"S": "x"}, "b": map[string]any{"B": "aGVsbG8="}, "c": map[string]any{"BOOL": false},
		"d": map[string]any{"NS": []any{"1", "2"}}, "e": map[string]any{"M": map[string]any{"f": map[string]any{"L": []any{}}}},
		"g": Later{Whole: true},
	}}, nil},
	{"union mistakes", "dynamodb", "PutItem", map[string]any{"Item": map[string]any{
		"a": "x", "b": map[string]any{}, "c": map[string]any{"Q": "x"}, "d": map[string]any{"B": "!!"},
		"e": map[string]any{"M": map[string]any{"f": map[string]any{"L": []any{map[string]any{"S": int64(1)}}}}},
	}}, []string{
		"Item.a: member Item.a must be a table with exactly one key naming the AttributeValue member it holds, not a string",
		"Item.b: member Item.b must be a table with exactly one key naming the AttributeValue member it holds, not an empty table",
		`Item.c.Q: unknown member "Q" in Item.c`,
		"Item.d.B: member Item.d.B must be base64",
		"Item.e.M.f.L[0].S: member Item.e.M.f.L[0].S must be a string, not an integer",
	}},
	{"casing warned about", "dynamodb", "PutItem", map[string]any{"tablename": "t", "Item": map[string]any{
		"a": map[string]any{"s": "x"}, "b": map[string]any{"Ss": []any{"x"}},
	}}, []string{
		`Item.a.s: member "s" is spelt S in the API (write S, as the API names it)`,
		`Item.b.Ss: member "Ss" is spelt SS in the API (write SS, as the API names it)`,
		`tablename: member "tablename" is spelt TableName in the API (write TableName, as the API names it)`,
	}},
	{"wire names of camelCase APIs", "ecs", "UpdateService", map[string]any{"cluster": "c", "service": "s", "desiredCount": int64(2)}, nil},
	{"member twice", "eks", "UpdateNodegroupConfig", map[string]any{"ClusterName": "c", "NodegroupName": "n",
		"ScalingConfig": map[string]any{"desiredSize": int64(2), "desiredsize": int64(3)}},
		[]string{`ScalingConfig.desiredsize: member DesiredSize is given twice, as "desiredSize" and "desiredsize" (give it once, as DesiredSize)`}},
	{"Go values an action builds", "lambda", "TagResource", map[string]any{"Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Tags": map[string]string{"dr": "on"}}, nil},
	{"Go numbers and lists", "ec2", "DescribeInstances", map[string]any{"InstanceIds": []string{"i-1"}, "MaxResults": int32(5), "DryRun": false}, nil},
	{"table for a string", "ssm", "GetParameter", map[string]any{"Name": map[string]any{"x": int64(1)}},
		[]string{"Name: member Name must be a string, not a table"}},
}

func (tc problemCase) got(problems []InputProblem) []string {
	var out []string
	for _, p := range problems {
		s := MemberPath(p.Path) + ": " + p.Message
		if p.Hint != "" {
			s += " (" + p.Hint + ")"
		}
		out = append(out, s)
	}
	return out
}

func TestCheckInput(t *testing.T) {
	t.Parallel()
	for _, tc := range problemCases {
		got := tc.got(CheckInput(tc.service, tc.op, tc.input))
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %d problems, want %d:\n  %s", tc.name, len(got), len(tc.want), strings.Join(got, "\n  "))
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], tc.want[i]) {
				t.Errorf("%s: problem %d is\n  %s\nwant it to start\n  %s", tc.name, i, got[i], tc.want[i])
			}
		}
	}
	if p := CheckInput("rds", "DescribeDBInstancez", map[string]any{"x": 1}); p != nil {
		t.Errorf("an unknown operation's input was checked: %v", p)
	}
}

// TestCheckInputRefusesWhatInvokeRefuses: for inputs known before the run,
// check and run convert with the same walk, so they agree.
func TestCheckInputRefusesWhatInvokeRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range problemCases {
		if strings.Contains(tc.name, "later") || tc.name == "union forms" || tc.name == "casing warned about" {
			continue
		}
		method := operationIndex()[tc.service][tc.op]
		_, err := typedInput(method.Type.In(2).Elem(), tc.input)
		if (err != nil) != (len(tc.want) > 0) {
			t.Errorf("%s: Invoke's conversion says %v; check found %d problems", tc.name, err, len(tc.want))
		}
	}
}

// TestCanonicalInput: the input the SDK is given, and the audit log and
// gate show, names each member as the SDK does, at any depth, unions too;
// map keys are data and keep their spelling.
func TestCanonicalInput(t *testing.T) {
	t.Parallel()
	got := CanonicalInput("dynamodb", "PutItem", map[string]any{"tablename": "t", "item": map[string]any{
		"pk": map[string]any{"s": "x"}, "l": map[string]any{"l": []any{map[string]any{"Ss": []any{"a"}}}},
	}, "Unknown": 1})
	want := map[string]any{"TableName": "t", "Item": map[string]any{
		"pk": map[string]any{"S": "x"}, "l": map[string]any{"L": []any{map[string]any{"SS": []any{"a"}}}},
	}, "Unknown": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	in := map[string]any{"cluster": "c"}
	if got := CanonicalInput("ecs", "UpdateService", in); !reflect.DeepEqual(got, map[string]any{"Cluster": "c"}) || in["cluster"] != "c" {
		t.Errorf("ecs: got %v; the input written is %v", got, in)
	}
}
