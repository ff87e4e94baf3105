package steps

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// sampleReads is, per registered service, a read-only operation that
// takes no required input: what the registry test classifies and what the
// signing test sends. A service added to the registry without one fails
// TestRegistry, so that every service is checked.
var sampleReads = map[string]string{
	"acm":                             "ListCertificates",
	"arc-region-switch":               "ListPlans",
	"autoscaling":                     "DescribeAutoScalingGroups",
	"backup":                          "ListBackupVaults",
	"cloudformation":                  "DescribeStacks",
	"cloudfront":                      "ListDistributions",
	"cloudwatch":                      "DescribeAlarms",
	"docdb":                           "DescribeDBClusters",
	"dynamodb":                        "ListTables",
	"ec2":                             "DescribeRegions",
	"ecr":                             "DescribeRepositories",
	"ecs":                             "ListClusters",
	"eks":                             "ListClusters",
	"elasticache":                     "DescribeReplicationGroups",
	"elasticfilesystem":               "DescribeFileSystems",
	"elasticloadbalancing":            "DescribeLoadBalancers",
	"es":                              "ListDomainNames",
	"events":                          "ListEventBuses",
	"fis":                             "ListExperimentTemplates",
	"globalaccelerator":               "ListAccelerators",
	"iam":                             "ListRoles",
	"kinesis":                         "ListStreams",
	"kms":                             "ListKeys",
	"lambda":                          "ListFunctions",
	"logs":                            "DescribeLogGroups",
	"memorydb":                        "DescribeClusters",
	"neptune":                         "DescribeDBClusters",
	"organizations":                   "DescribeOrganization",
	"rds":                             "DescribeDBInstances",
	"route53":                         "ListHostedZones",
	"route53-recovery-control-config": "ListClusters",
	"route53-recovery-readiness":      "ListReadinessChecks",
	"s3":                              "ListBuckets",
	"secretsmanager":                  "ListSecrets",
	"ses":                             "ListEmailIdentities",
	"sns":                             "ListTopics",
	"sqs":                             "ListQueues",
	"ssm":                             "DescribeParameters",
	"ssm-contacts":                    "ListContacts",
	"ssm-incidents":                   "ListResponsePlans",
	"states":                          "ListStateMachines",
	"sts":                             "GetCallerIdentity",
}

// globalControlPlanes are the services whose control plane is in one
// Region, as AWS's fault isolation whitepaper gives them.
var globalControlPlanes = map[string]string{
	"cloudfront":                      "us-east-1",
	"globalaccelerator":               "us-west-2",
	"iam":                             "us-east-1",
	"organizations":                   "us-east-1",
	"route53":                         "us-east-1",
	"route53-recovery-control-config": "us-west-2",
	"route53-recovery-readiness":      "us-west-2",
}

// TestRegistry checks every registered service: its SDK client has
// operations, its sample read is one of them and classifies read-only
// under every name the service has, its aliases resolve to it, and its
// control plane is the one expected. The issue asks for at least 35.
func TestRegistry(t *testing.T) {
	t.Parallel()
	reg := awsclient.Registry()
	if len(reg) < 35 {
		t.Errorf("the registry has %d services, want at least 35", len(reg))
	}
	for _, s := range reg {
		ops := awsclient.Operations(s.Prefix)
		if len(ops) == 0 {
			t.Errorf("%s: the SDK client has no operation", s.Prefix)
		}
		sample, ok := sampleReads[s.Prefix]
		if !ok {
			t.Errorf("%s: add a sample read-only operation to sampleReads", s.Prefix)
			continue
		}
		if !slices.Contains(ops, sample) {
			t.Errorf("%s: the SDK client has no %s", s.Prefix, sample)
		}
		for _, name := range append([]string{s.Prefix}, s.Aliases...) {
			if got, ok := CanonicalService(name); !ok || got != s.Prefix {
				t.Errorf("%s resolves to %q, %v; want %s", name, got, ok, s.Prefix)
			}
			if c := Classify(name, sample); c != runbooks.OpReadOnly {
				t.Errorf("%s:%s is %s, want read-only", name, sample, c)
			}
		}
		if s.ControlPlane != globalControlPlanes[s.Prefix] {
			t.Errorf("%s: control plane %q, want %q", s.Prefix, s.ControlPlane, globalControlPlanes[s.Prefix])
		}
	}
	if len(sampleReads) != len(reg) {
		t.Errorf("sampleReads names %d services, the registry %d", len(sampleReads), len(reg))
	}
	for name, want := range map[string]string{"docdb": "rds", "neptune": "rds", "es": "es", "opensearch": "es", "efs": "elasticfilesystem", "sfn": "states"} {
		if s, _ := awsclient.Lookup(name); s.IAM() != want {
			t.Errorf("%s: IAM prefix %q, want %q", name, s.IAM(), want)
		}
	}
}

// credentialScope is the service in a SigV4 Authorization header.
var credentialScope = regexp.MustCompile(`Credential=[^/]+/[0-9]+/[^/]+/([^/]+)/aws4_request`)

// TestRegistrySigningNames sends each service's sample read through the
// real SDK client to a server that only records the request, and checks
// that the client signs for the service the registry says (SigningName,
// or the key): what an IAM policy or a VPC endpoint policy sees.
func TestRegistrySigningNames(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	signed := map[string]string{} // by X-Drpilot-Service
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			mu.Lock()
			signed[r.Header.Get("X-Drpilot-Service")] = m[1]
			mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	for _, s := range awsclient.Registry() {
		cfg := aws.Config{
			Region:       "eu-west-1",
			Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
			BaseEndpoint: aws.String(srv.URL),
			HTTPClient:   taggingClient{s.Prefix},
		}
		f, err := awsclient.NewFactory(awsclient.Options{Config: cfg, MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		// The empty answer does not decode for every protocol; only the
		// request matters here.
		_, _ = f.Invoke(context.Background(), s.Prefix, "eu-west-1", sampleReads[s.Prefix], nil)
		mu.Lock()
		got := signed[s.Prefix]
		mu.Unlock()
		if got != s.Signing() {
			t.Errorf("%s signs for %q, the registry says %q", s.Prefix, got, s.Signing())
		}
	}
}

// taggingClient names the service a request is for, so that the server
// can tell whose signature it records.
type taggingClient struct{ service string }

func (c taggingClient) Do(r *http.Request) (*http.Response, error) {
	r.Header.Set("X-Drpilot-Service", c.service)
	return http.DefaultClient.Do(r)
}

// TestCallRegionGlobalServices: a call to a global service goes to its
// control plane's Region whatever the step's, so that plan shows it and
// check warns when that Region is the primary.
func TestCallRegionGlobalServices(t *testing.T) {
	t.Parallel()
	c := Default()
	for _, tt := range []struct{ service, region, want string }{
		{"globalaccelerator", "eu-west-1", "us-west-2"},
		{"route53recoverycontrolconfig", "eu-west-1", "us-west-2"},
		{"iam", "ap-southeast-2", "us-east-1"},
		{"cloudfront", "eu-west-2", "us-east-1"},
		{"route53", "cn-north-1", "cn-northwest-1"},
		{"route53", "us-gov-east-1", "us-gov-west-1"},
		{"iam", "cn-north-1", "cn-north-1"},
		{"kms", "eu-west-1", "eu-west-1"},
		{"nosuch", "eu-west-1", "eu-west-1"},
	} {
		if got := c.CallRegion(tt.service, tt.region); got != tt.want {
			t.Errorf("CallRegion(%q, %q) = %q, want %q", tt.service, tt.region, got, tt.want)
		}
	}
}
