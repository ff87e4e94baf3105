package steps

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	const (
		ro  = runbooks.OpReadOnly
		mut = runbooks.OpMutating
		unk = runbooks.OpUnknown
	)
	tests := []struct {
		service, op string
		want        runbooks.OperationClass
	}{
		// The verb rule.
		{"rds", "DescribeDBInstances", ro},
		{"route53", "GetChange", ro},
		{"route53", "ListResourceRecordSets", ro},
		{"s3", "HeadObject", ro},
		{"s3", "ListObjectsV2", ro},
		{"ec2", "SearchTransitGatewayRoutes", ro},
		{"dynamodb", "BatchGetItem", ro},
		{"ssm-incidents", "BatchGetIncidentFindings", ro},
		{"rds", "PromoteReadReplica", mut},
		{"route53", "ChangeResourceRecordSets", mut},
		{"dynamodb", "BatchWriteItem", mut},
		{"backup", "StartRestoreJob", mut},
		{"arc-region-switch", "StartPlanExecution", mut},
		{"arc-region-switch", "GetPlanExecution", ro},
		{"ec2", "ExportImage", mut},
		// A verb counts only as a whole word.
		{"ec2", "Getaway", mut},
		{"ec2", "Listen", mut},
		{"ec2", "Describe", ro},
		// Reviewed decisions.
		{"sts", "GetCallerIdentity", ro},
		{"sts", "AssumeRole", mut},
		{"sts", "GetSessionToken", mut},
		{"sts", "GetFederationToken", mut},
		{"ssm", "GetAccessToken", mut},
		{"sts", "DecodeAuthorizationMessage", ro},
		{"dynamodb", "Query", ro},
		{"dynamodb", "Scan", ro},
		{"dynamodb", "TransactGetItems", ro},
		{"dynamodb", "ExecuteStatement", mut},
		{"lambda", "Invoke", mut},
		{"s3", "GetObject", ro},
		{"s3", "SelectObjectContent", ro},
		{"route53", "TestDNSAnswer", ro},
		{"events", "TestEventPattern", ro},
		{"rds", "DownloadDBLogFilePortion", ro},
		{"ecr", "GetAuthorizationToken", mut},
		{"ecr", "GetDownloadUrlForLayer", mut},
		{"kms", "GetParametersForImport", mut},
		{"kms", "Decrypt", mut},
		{"acm", "GetAcmeExternalAccountBindingCredentials", mut},
		{"secretsmanager", "GetSecretValue", mut},
		{"secretsmanager", "BatchGetSecretValue", mut},
		{"secretsmanager", "GetRandomPassword", ro},
		{"secretsmanager", "DescribeSecret", ro},
		{"sfn", "GetActivityTask", mut},
		{"stepfunctions", "DescribeExecution", ro},
		{"kinesis", "GetShardIterator", ro},
		{"docdb", "FailoverGlobalCluster", mut},
		{"opensearch", "DescribeDomain", ro},
		// Requests to a domain's own endpoint.
		{"es", "ESHttpGet", ro},
		{"opensearch", "ESHttpHead", ro},
		{"es", "ESHttpPost", mut},
		{"es", "ESHttpDelete", mut},
		// The alias and its IAM prefix agree, including on exceptions.
		{"elbv2", "DescribeTargetHealth", ro},
		{"elbv2", "RegisterTargets", mut},
		{"elasticloadbalancing", "RegisterTargets", mut},
		// Unknown: unsupported service, or not an operation name.
		{"iam", "ListRoles", ro},
		{"apigateway", "GetRestApis", unk},
		{"apigateway", "TestInvokeMethod", unk},
		{"RDS", "DescribeDBInstances", unk},
		{"", "DescribeDBInstances", unk},
		{"rds", "", unk},
		{"rds", "describeDBInstances", unk},
		{"rds", "Describe-DBInstances", unk},
		{"rds", "DescribeDBInstances ", unk},
		{"rds", "Describe*", unk},
		{"rds", "9Describe", unk},
	}
	c := Default()
	for _, tt := range tests {
		t.Run(tt.service+":"+tt.op, func(t *testing.T) {
			t.Parallel()
			if got := c.Classify(tt.service, tt.op); got != tt.want {
				t.Errorf("Classify(%q, %q) = %s, want %s", tt.service, tt.op, got, tt.want)
			}
		})
	}
}

// TestReviewedDecisions keeps the reviewed list honest: every entry names a
// supported service by its registry key and an operation its SDK client has, once,
// and the list stays sorted so that review diffs are readable.
func TestReviewedDecisions(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i, d := range reviewed {
		service, op, ok := splitOperation(d.op)
		if canon, known := CanonicalService(service); !ok || !known || canon != service || !operationName.MatchString(op) {
			t.Errorf("reviewed %q: not service:Operation with a supported IAM prefix", d.op)
		}
		if !awsclient.HasOperation(service, op) {
			t.Errorf("reviewed %q: the SDK has no such operation", d.op)
		}
		if d.class != runbooks.OpReadOnly && d.class != runbooks.OpMutating {
			t.Errorf("reviewed %q: class must be read-only or mutating, not %s", d.op, d.class)
		}
		if d.why == "" {
			t.Errorf("reviewed %q: no reason", d.op)
		}
		if seen[d.op] {
			t.Errorf("reviewed %q: listed twice", d.op)
		}
		seen[d.op] = true
		if i > 0 && reviewed[i-1].op > d.op {
			t.Errorf("reviewed: %q comes before %q", reviewed[i-1].op, d.op)
		}
	}
}

func TestCanonicalService(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"elbv2", "elasticloadbalancing", true},
		{"elasticloadbalancing", "elasticloadbalancing", true},
		{"ssm-incidents", "ssm-incidents", true},
		{"ssmincidents", "", false},
		{"sesv2", "", false},
		{"efs", "elasticfilesystem", true},
		{"sfn", "states", true},
		{"stepfunctions", "states", true},
		{"opensearch", "es", true},
		{"cloudwatchlogs", "logs", true},
		{"documentdb", "", false},
	}
	for _, tt := range tests {
		got, ok := CanonicalService(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CanonicalService(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if services := awsclient.Services(); !slices.IsSorted(services) {
		t.Errorf("the service registry is not sorted by prefix: %v", services)
	}
}

func TestSnakeCase(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"DBInstanceIdentifier":                "db_instance_identifier",
		"TargetDBInstanceIdentifier":          "target_db_instance_identifier",
		"TargetDbClusterIdentifier":           "target_db_cluster_identifier",
		"SourceDbiResourceId":                 "source_dbi_resource_id",
		"SourceDBInstanceAutomatedBackupsArn": "source_db_instance_automated_backups_arn",
		"IamRoleArn":                          "iam_role_arn",
		"TargetGroupArn":                      "target_group_arn",
		"AutoScalingGroupName":                "auto_scaling_group_name",
		"HostedZoneId":                        "hosted_zone_id",
		"TTL":                                 "ttl",
		"DNSName":                             "dns_name",
		"MultiAZ":                             "multi_az",
		"VPCZoneIdentifier":                   "vpc_zone_identifier",
		"SSESpecificationOverride":            "sse_specification_override",
		"Ipv6Address":                         "ipv6_address",
		"S3Key":                               "s3_key",
		"EC2InstanceId":                       "ec2_instance_id",
		"Name":                                "name",
		"Id":                                  "id",
		"":                                    "",
	}
	for in, want := range tests {
		if got := SnakeCase(in); got != want {
			t.Errorf("SnakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParamMembersAreSnakeCased walks every parameter, fields and list
// elements included, so that a parameter renamed without its member (or
// the other way round) fails here with its path.
func TestParamMembersAreSnakeCased(t *testing.T) {
	t.Parallel()
	var walk func(action, path string, p runbooks.Param)
	walk = func(action, path string, p runbooks.Param) {
		if p.Member != "" && SnakeCase(p.Member) != p.Name {
			t.Errorf("%s %s: SnakeCase(%q) = %q, want the name %q", action, path, p.Member, SnakeCase(p.Member), p.Name)
		}
		for _, f := range p.Fields {
			walk(action, path+"."+f.Name, f)
		}
		if p.Elem != nil {
			walk(action, path+"[]", *p.Elem)
		}
	}
	members := 0
	for _, spec := range Default().Actions() {
		for _, p := range spec.Params {
			walk(spec.Name, p.Name, p)
			if p.Member != "" {
				members++
			}
		}
	}
	// Most parameters fill a member; conveniences are few. A drop here
	// means members were lost, not that the rule holds.
	if members < 80 {
		t.Errorf("only %d top-level parameters name an AWS member", members)
	}
}

// TestOperationLiteralsExist: every "service:Operation" written in the
// actions' code (the calls they make, their waits and lookups) is an
// operation of the SDK drpilot is built with, so that no action fails at
// run time on a name that check cannot see.
func TestOperationLiteralsExist(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	literal := regexp.MustCompile(`^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !literal.MatchString(s) {
				return true
			}
			service, op, _ := strings.Cut(s, ":")
			if _, known := CanonicalService(service); !known {
				return true
			}
			found++
			// A request to a resource's own endpoint is no SDK
			// operation; the classifier's table lists those there are.
			if !awsclient.HasOperation(service, op) && !EndpointOperation(s) {
				t.Errorf("%s: %q is not an operation of the SDK's %s client", f, s, service)
			}
			return true
		})
	}
	if found < 50 {
		t.Errorf("found only %d operation literals; the scan is broken", found)
	}
}
