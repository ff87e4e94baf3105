package steps

import (
	"reflect"
	"testing"
)

// inputTests pair a step's parameters with the input the plan must show.
var inputTests = []struct {
	action string
	with   map[string]any
	want   map[string]any
}{
	{
		action: "rds.promote-read-replica",
		with:   map[string]any{"db_instance_identifier": "db-1", "backup_retention_period": int64(7)},
		want:   map[string]any{"DBInstanceIdentifier": "db-1", "BackupRetentionPeriod": int64(7)},
	},
	{
		action: "ssm.put-parameter",
		with:   map[string]any{"name": "/store/read-only", "value": "true"},
		want:   map[string]any{"Name": "/store/read-only", "Value": "true", "Type": "String", "Overwrite": true},
	},
	{
		action: "elbv2.register-targets",
		with: map[string]any{
			"target_group_arn": "arn:tg",
			"targets":          []any{map[string]any{"id": "i-1", "port": int64(80)}},
		},
		want: map[string]any{
			"TargetGroupArn": "arn:tg",
			"Targets":        []any{map[string]any{"Id": "i-1", "Port": int64(80)}},
		},
	},
	{
		action: "elbv2.register-targets",
		with: map[string]any{
			"target_group_arn": "arn:tg",
			"targets":          []map[string]any{{"id": "10.0.0.1", "availability_zone": "all"}},
		},
		want: map[string]any{
			"TargetGroupArn": "arn:tg",
			"Targets":        []any{map[string]any{"Id": "10.0.0.1", "AvailabilityZone": "all"}},
		},
	},
	{
		action: "route53.upsert-record",
		with: map[string]any{
			"hosted_zone_id": "Z1", "name": "shop.example.com", "type": "A",
			"values": []any{"192.0.2.1", "192.0.2.2"}, "failover": "PRIMARY",
		},
		want: upsert("Z1", map[string]any{
			"Name": "shop.example.com", "Type": "A", "TTL": int64(60), "Failover": "PRIMARY",
			"ResourceRecords": []any{map[string]any{"Value": "192.0.2.1"}, map[string]any{"Value": "192.0.2.2"}},
		}),
	},
	{
		action: "route53.upsert-record",
		with: map[string]any{
			"hosted_zone_id": "Z1", "name": "shop.example.com", "type": "A",
			"alias_target": map[string]any{"hosted_zone_id": "Z2", "dns_name": "lb.example.com"},
		},
		want: upsert("Z1", map[string]any{
			"Name": "shop.example.com", "Type": "A",
			"AliasTarget": map[string]any{"HostedZoneId": "Z2", "DNSName": "lb.example.com", "EvaluateTargetHealth": false},
		}),
	},
	{
		action: "backup.start-restore",
		with: map[string]any{
			"backup_vault_name": "dr-vault", "resource_arn": "arn:aws:ec2:x:1:volume/v",
			"iam_role_arn": "arn:aws:iam::1:role/r", "metadata": map[string]any{"availabilityZone": "a"},
		},
		want: map[string]any{"IamRoleArn": "arn:aws:iam::1:role/r", "Metadata": map[string]any{"availabilityZone": "a"}},
	},
	{
		action: "cloudwatch.wait-alarm",
		with:   map[string]any{"alarm_name": "orders-low", "state": "OK"},
		want:   map[string]any{"AlarmNames": []any{"orders-low"}, "AlarmTypes": []any{"MetricAlarm", "CompositeAlarm"}},
	},
	{
		action: "aws.call",
		with:   map[string]any{"call": "sts:GetCallerIdentity", "input": map[string]any{"A": "b"}},
		want:   map[string]any{"A": "b"},
	},
	{
		action: "http.probe",
		with:   map[string]any{"url": "https://example.com"},
		want:   nil,
	},
}

func TestInput(t *testing.T) {
	t.Parallel()
	c := Default()
	for _, tt := range inputTests {
		t.Run(tt.action, func(t *testing.T) {
			t.Parallel()
			spec, ok := c.Action(tt.action)
			if !ok {
				t.Fatalf("no action %s", tt.action)
			}
			if spec.Input == nil {
				if tt.want != nil {
					t.Fatalf("%s has no Input", tt.action)
				}
				return
			}
			if got := spec.Input(tt.with); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Input(%v)\n got %#v\nwant %#v", tt.with, got, tt.want)
			}
		})
	}
}

// upsert is the ChangeResourceRecordSets input for one UPSERT.
func upsert(zone string, set map[string]any) map[string]any {
	return map[string]any{
		"HostedZoneId": zone,
		"ChangeBatch": map[string]any{
			"Changes": []any{map[string]any{"Action": "UPSERT", "ResourceRecordSet": set}},
		},
	}
}

// TestEveryAWSActionHasInput makes sure the plan can show an input for every
// action that calls AWS.
func TestEveryAWSActionHasInput(t *testing.T) {
	t.Parallel()
	for _, spec := range Default().Actions() {
		if (len(spec.Calls) > 0 || spec.OperationParam != "") && spec.Input == nil {
			t.Errorf("%s calls AWS but has no Input", spec.Name)
		}
	}
}
