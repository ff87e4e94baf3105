package sandbox

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestScenarioTakesTheCLIsNames: a scenario's inputs are the AWS CLI's
// JSON (EC2's TagSpecifications and Tags, S3's Rules, ECS's camelCase),
// and reach the services as their own clients' requests do.
func TestScenarioTakesTheCLIsNames(t *testing.T) {
	t.Parallel()
	src := `
[[create]]
service = "ec2"
region = "eu-west-1"
operation = "CreateVolume"
id = "vol-0a1b2c3d4e5f60718"
input = { AvailabilityZone = "eu-west-1a", Size = 40, TagSpecifications = [{ ResourceType = "volume", Tags = [{ Key = "app", Value = "docstore" }] }] }

[[create]]
service = "s3"
region = "eu-west-1"
operation = "CreateBucket"
input = { Bucket = "src", CreateBucketConfiguration = { LocationConstraint = "eu-west-1" } }

[[create]]
service = "s3"
region = "eu-west-1"
operation = "PutBucketVersioning"
input = { Bucket = "src", VersioningConfiguration = { Status = "Enabled" } }

[[create]]
service = "s3"
region = "eu-west-1"
operation = "PutBucketReplication"
input = { Bucket = "src", ReplicationConfiguration = { Role = "arn:aws:iam::123456789012:role/crr", Rules = [{ ID = "all", Status = "Enabled", Priority = 1, Filter = { Prefix = "" }, DeleteMarkerReplication = { Status = "Disabled" }, Destination = { Bucket = "arn:aws:s3:::dst" } }] } }

[[create]]
service = "ecs"
region = "eu-west-1"
operation = "CreateCluster"
input = { clusterName = "docstore" }

[[create]]
service = "ecs"
region = "eu-west-1"
operation = "CreateService"
input = { cluster = "docstore", serviceName = "api", taskDefinition = "api:3", desiredCount = 2 }
`
	sc, err := ParseScenario("names.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := NewFromScenario(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	cfg := awsConfig(t, srv.URL, "eu-west-1")
	vols, err := ec2.NewFromConfig(cfg).DescribeVolumes(ctx(t), &ec2.DescribeVolumesInput{VolumeIds: []string{"vol-0a1b2c3d4e5f60718"}})
	if err != nil || len(vols.Volumes) != 1 || len(vols.Volumes[0].Tags) != 1 || aws.ToString(vols.Volumes[0].Tags[0].Value) != "docstore" {
		t.Fatalf("the volume's tags: %+v %v", vols, err)
	}
	repl, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).GetBucketReplication(ctx(t), &s3.GetBucketReplicationInput{Bucket: aws.String("src")})
	if err != nil || len(repl.ReplicationConfiguration.Rules) != 1 {
		t.Fatalf("the bucket's replication: %v", err)
	}
	svcs, err := ecs.NewFromConfig(cfg).DescribeServices(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String("docstore"), Services: []string{"api"}})
	if err != nil || len(svcs.Services) != 1 || svcs.Services[0].DesiredCount != 2 {
		t.Fatalf("the ECS service: %+v %v", svcs, err)
	}
}

// TestScenarioRefusesOtherNames: the wire's name or the other case is
// refused at its entry, naming the service, the member and the CLI's name.
func TestScenarioRefusesOtherNames(t *testing.T) {
	t.Parallel()
	cases := []struct{ service, op, input, want string }{
		{"s3", "PutBucketReplication", `{ Bucket = "b", ReplicationConfiguration = { Role = "r", Rule = [] } }`,
			"names.toml:2:1: create[0]: s3 PutBucketReplication: input member ReplicationConfiguration.Rule is the wire's name; the CLI's is ReplicationConfiguration.Rules"},
		{"ec2", "CreateVolume", `{ AvailabilityZone = "eu-west-1a", Size = 1, TagSpecification = [] }`,
			"input member TagSpecification is the wire's name; the CLI's is TagSpecifications: scenario files take the AWS CLI's JSON member names (aws ... create-volume --generate-cli-skeleton)"},
		{"ecs", "CreateService", `{ cluster = "c", ServiceName = "api" }`,
			`ecs CreateService: input member "ServiceName": ecs's members are spelled as the AWS CLI's JSON spells them (aws ... create-service --generate-cli-skeleton): "serviceName"`},
		{"rds", "CreateDBInstance", `{ DBInstanceIdentifier = "orders", allocatedStorage = 20 }`, `rds CreateDBInstance: input member "allocatedStorage": rds's members are spelled as the AWS CLI's JSON spells them (aws ... create-db-instance --generate-cli-skeleton), which start with a capital letter`},
	}
	for _, tc := range cases {
		src := "\n[[create]]\nservice = \"" + tc.service + "\"\nregion = \"eu-west-1\"\noperation = \"" + tc.op + "\"\ninput = " + tc.input + "\n"
		sc, err := ParseScenario("names.toml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewFromScenario(sc, 0); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v\nwant %s", tc.service, tc.op, err, tc.want)
		}
	}
}

// TestScenarioCheckInputs: every problem a check finds is placed at its
// entry's line, with the service and operation; the input is the file's.
func TestScenarioCheckInputs(t *testing.T) {
	t.Parallel()
	src := "account = \"123456789012\"\n\n[[create]]\nservice = \"sns\"\nregion = \"eu-west-1\"\noperation = \"CreateTopic\"\ninput = { Name = \"a\" }\n\n" +
		"[[create]]\nservice = \"rds\"\nregion = \"eu-west-1\"\noperation = \"CreateDBInstance\"\n[create.input]\nDBInstanceIdentifer = \"x\"\nEngine = \"postgres\"\n"
	sc, err := ParseScenario("c.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	err = sc.CheckInputs(func(service, operation string, input map[string]any) []string {
		seen = append(seen, service+" "+operation)
		if _, typo := input["DBInstanceIdentifer"]; typo {
			return []string{"misspelt DBInstanceIdentifer", "second problem"}
		}
		return nil
	})
	want := "c.toml:9:1: create[1]: rds CreateDBInstance: misspelt DBInstanceIdentifer\nc.toml:9:1: create[1]: rds CreateDBInstance: second problem"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if strings.Join(seen, ",") != "sns CreateTopic,rds CreateDBInstance" {
		t.Errorf("checked %v", seen)
	}
	if err := sc.CheckInputs(func(string, string, map[string]any) []string { return nil }); err != nil {
		t.Errorf("no problem: %v", err)
	}
}
