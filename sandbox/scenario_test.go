package sandbox

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
)

const pilotLight = `
account = "210987654321"
time_scale = 60

[[create]]
service = "rds"
region = "us-east-1"
operation = "CreateDBInstance"
input = { DBInstanceIdentifier = "orders", Engine = "postgres", DBInstanceClass = "db.r6g.large", AllocatedStorage = 100 }

[[create]]
service = "rds"
region = "us-west-2"
operation = "CreateDBInstanceReadReplica"
input = { DBInstanceIdentifier = "orders-replica", SourceDBInstanceIdentifier = "arn:aws:rds:us-east-1:210987654321:db:orders" }

[[create]]
service = "route53"
region = "us-east-1"
operation = "CreateHostedZone"
id = "Z0A1B2C3D4E5F6G7H8I9J"
input = { Name = "shop.example.com", CallerReference = "shop" }

[[create]]
service = "monitoring"
region = "us-west-2"
operation = "PutMetricAlarm"
ago = "10m"
input = { AlarmName = "orders-5xx", MetricName = "5XXError", Namespace = "AWS/ApplicationELB", Period = 60, EvaluationPeriods = 2, Threshold = 10, ComparisonOperator = "GreaterThanThreshold", Statistic = "Sum" }

[[faults]]
outage = { region = "us-east-1" }
`

// TestScenarioSetsUpADisaster: a scenario's resources exist, settled, in
// their Regions, and its primary Region is out.
func TestScenarioSetsUpADisaster(t *testing.T) {
	t.Parallel()
	sc, err := ParseScenario("pilot-light.toml", []byte(pilotLight))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := NewFromScenario(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sb.Account() != "210987654321" || sb.Clock().Scale() != 60 {
		t.Fatalf("account %s, scale %g", sb.Account(), sb.Clock().Scale())
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	replica := describe(t, rds.NewFromConfig(awsConfig(t, srv.URL, "us-west-2")), "orders-replica")
	if aws.ToString(replica.DBInstanceStatus) != "available" || aws.ToString(replica.StatusInfos[0].Status) != "error" {
		t.Fatalf("replica: %s, replication %s", aws.ToString(replica.DBInstanceStatus), aws.ToString(replica.StatusInfos[0].Status))
	}
	if _, err := rds.NewFromConfig(awsConfig(t, srv.URL, "us-east-1")).DescribeDBInstances(ctx(t), &rds.DescribeDBInstancesInput{}); apiCode(err) != "ServiceUnavailable" {
		t.Fatalf("the primary Region is not out: %v", err)
	}
	alarms, err := cloudwatch.NewFromConfig(awsConfig(t, srv.URL, "us-west-2")).DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{})
	if err != nil || len(alarms.MetricAlarms) != 1 || alarms.MetricAlarms[0].StateValue != cwtypes.StateValueOk {
		t.Fatalf("alarms: %+v %v", alarms, err)
	}
	sb.faults.apply(Fault{Outage: &Outage{Region: "us-east-1", Clear: true}})
	zones, err := route53.NewFromConfig(awsConfig(t, srv.URL, "us-east-1")).ListHostedZones(ctx(t), &route53.ListHostedZonesInput{})
	if err != nil || len(zones.HostedZones) != 1 || aws.ToString(zones.HostedZones[0].Id) != "/hostedzone/Z0A1B2C3D4E5F6G7H8I9J" {
		t.Fatalf("zones (the id the scenario pins): %+v %v", zones, err)
	}
}

func TestScenarioErrorsArePositioned(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, src, want string }{
		{"syntax", "account = \"1\n", "bad.toml:1:"},
		{"unknown key", "acount = \"123456789012\"\n", `bad.toml: unknown key "acount"`},
		{"unknown service", "\n\n[[create]]\nservice = \"kinesis\"\nregion = \"us-east-1\"\noperation = \"CreateStream\"\n",
			`bad.toml:3:1: create[0]: unknown service "kinesis"`},
		{"not a create", "[[create]]\nservice = \"rds\"\nregion = \"us-east-1\"\noperation = \"DescribeDBInstances\"\n",
			`bad.toml:1:1: create[0]: rds has no creating operation "DescribeDBInstances"`},
		{"failing call", "[[create]]\nservice = \"rds\"\nregion = \"us-east-1\"\noperation = \"CreateDBInstance\"\n\n  [[create]]\nservice = \"rds\"\nregion = \"us-east-1\"\noperation = \"PromoteReadReplica\"\ninput = { DBInstanceIdentifier = \"nope\" }\n",
			`bad.toml:1:1: create[0]: rds CreateDBInstance in us-east-1: InvalidParameterValue: DBInstanceIdentifier is required`},
		{"bad ago", "[[create]]\nservice = \"rds\"\nregion = \"us-east-1\"\noperation = \"CreateDBInstance\"\nago = \"yesterday\"\n", `ago "yesterday"`},
		{"bad fault", "[[faults]]\nthrottle = { service = \"rds\", rate = 3 }\n", "faults[0]: throttle"},
		{"bad account", "account = \"42\"\n", `account "42" is not 12 digits`},
	}
	for _, tc := range cases {
		sc, err := ParseScenario("bad.toml", []byte(tc.src))
		if err == nil {
			_, err = NewFromScenario(sc, 0)
		}
		var se *ScenarioError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestScenarioBackupCopiedToTheRecoveryRegion: a scenario pins a backup's
// recovery point ARN and copies it into the recovery Region's vault.
func TestScenarioBackupCopiedToTheRecoveryRegion(t *testing.T) {
	t.Parallel()
	src := `
[[create]]
service = "backup"
region = "eu-west-1"
operation = "CreateBackupVault"
input = { BackupVaultName = "docstore-vault" }

[[create]]
service = "backup"
region = "eu-central-1"
operation = "CreateBackupVault"
input = { BackupVaultName = "docstore-dr-vault" }

[[create]]
service = "backup"
region = "eu-west-1"
operation = "StartBackupJob"
ago = "3h"
id = "arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-seed-1"
input = { BackupVaultName = "docstore-vault", ResourceArn = "arn:aws:rds:eu-west-1:123456789012:db:docstore-db", IamRoleArn = "arn:aws:iam::123456789012:role/backup" }

[[create]]
service = "backup"
region = "eu-west-1"
operation = "StartCopyJob"
ago = "2h30m"
id = "arn:aws:rds:eu-central-1:123456789012:snapshot:awsbackup:copy-seed-1"
input = { RecoveryPointArn = "arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-seed-1", SourceBackupVaultName = "docstore-vault", DestinationBackupVaultArn = "arn:aws:backup:eu-central-1:123456789012:backup-vault:docstore-dr-vault", IamRoleArn = "arn:aws:iam::123456789012:role/backup" }
`
	sc, err := ParseScenario("copy.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := NewFromScenario(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	sb.mu.Lock()
	defer sb.mu.Unlock()
	c := &call{sb: sb, region: "eu-central-1", now: sb.clock.Now()}
	p, status, aerr := c.backupPoint(backupState(sb, "eu-central-1"), "arn:aws:rds:eu-central-1:123456789012:snapshot:awsbackup:copy-seed-1", "docstore-dr-vault")
	if aerr != nil || status != "COMPLETED" || p.ResourceArn != "arn:aws:rds:eu-west-1:123456789012:db:docstore-db" {
		t.Fatalf("the copied point: %+v %s %v", p, status, aerr)
	}
}
