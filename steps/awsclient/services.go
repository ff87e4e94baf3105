// Package awsclient builds every AWS client drpilot uses, in one place, and
// calls any of their operations by name. The factory applies the run's mode
// (dry-run installs a middleware that refuses every operation not classified
// read-only), the endpoint, the retry policy and the HTTP client; Invoke
// turns a TOML-shaped input into the SDK's typed input and the typed output
// back into JSON-shaped data, so that actions, aws.call, preconditions and
// outputs all see the AWS API's own member names.
package awsclient

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/arcregionswitch"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/docdb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/fis"
	"github.com/aws/aws-sdk-go-v2/service/globalaccelerator"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	"github.com/aws/aws-sdk-go-v2/service/neptune"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53recoverycontrolconfig"
	"github.com/aws/aws-sdk-go-v2/service/route53recoveryreadiness"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssmcontacts"
	"github.com/aws/aws-sdk-go-v2/service/ssmincidents"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// newClient builds one service's client from a configuration. The options
// every client gets (dry-run guard, retries) are already in cfg.APIOptions;
// pathStyleS3 is what only S3 needs when the endpoint is not AWS's.
type newClient func(cfg aws.Config, pathStyleS3 bool) any

// Service is one AWS service drpilot can call: the one place that says
// how runbooks name it, how its client is built, how IAM and SigV4 name it,
// and where its control plane lives. The operation classifier, the
// catalogue's checks, the reference docs and the IAM policy all read this
// table.
type Service struct {
	// Prefix is the key runbooks write before the colon in "service:Op",
	// and how the audit log names the service. It is the service's IAM
	// prefix wherever that is unambiguous ("rds", "kms"); a service that
	// shares another's IAM prefix is keyed by its own name ("docdb").
	Prefix string
	// IAMPrefix is the prefix of the service's actions in IAM policies,
	// when it is not Prefix: DocumentDB's and Neptune's management APIs
	// authorize as "rds:" actions. The IAM policy generator must use
	// IAMAction, which applies it; "" means Prefix.
	IAMPrefix string
	// SigningName is the SigV4 signing name of the service's requests, when
	// it is not Prefix (DocumentDB and Neptune sign as "rds", CloudWatch as
	// "monitoring"); "" means Prefix. A test checks it against the
	// requests the SDK signs.
	SigningName string
	// Aliases are other names runbook authors use for it (the AWS CLI's
	// and the SDK's, such as elbv2).
	Aliases []string
	// ControlPlane is the one Region whose control plane serves the
	// service's changes, for a global service (Route 53: us-east-1); ""
	// for a regional service, whose control plane is in each Region.
	ControlPlane string
	// DataPlane, for a global service, is what a failover should use
	// instead of its control plane, when there is such a thing: check
	// names it when a runbook depends on the control plane.
	DataPlane string
	// InResourceRegion marks a service whose requests go to the Region of
	// the resource they name, wherever the caller is (an S3 bucket's):
	// the Region a plan sends them to is not always theirs.
	InResourceRegion bool
	build            newClient
	client           reflect.Type
}

// IAM returns the service's IAM action prefix.
func (s Service) IAM() string {
	if s.IAMPrefix != "" {
		return s.IAMPrefix
	}
	return s.Prefix
}

// IAMAction returns the IAM action named like an operation, under the
// service's IAM prefix: docdb:DescribeDBClusters is rds:DescribeDBClusters.
// The few operations whose action is named otherwise (s3:ListObjectsV2
// needs s3:ListBucket) are for the policy generator to map.
func (s Service) IAMAction(operation string) string { return s.IAM() + ":" + operation }

// Signing returns the service's SigV4 signing name.
func (s Service) Signing() string {
	if s.SigningName != "" {
		return s.SigningName
	}
	return s.Prefix
}

// svc builds a Service from a constructor, with the client type it returns.
func svc[C any](prefix string, build func(aws.Config, bool) *C) Service {
	return Service{
		Prefix: prefix,
		build:  func(c aws.Config, p bool) any { return build(c, p) },
		client: reflect.TypeFor[*C](),
	}
}

// alias adds other names for a service.
func (s Service) alias(names ...string) Service {
	s.Aliases = append(s.Aliases, names...)
	return s
}

// inResourceRegion marks a service whose requests go to their resource's
// Region.
func (s Service) inResourceRegion() Service {
	s.InResourceRegion = true
	return s
}

// global marks a service whose control plane is in one Region, and names
// the data-plane alternative a failover should prefer ("" when none).
func (s Service) global(region, dataPlane string) Service {
	s.ControlPlane, s.DataPlane = region, dataPlane
	return s
}

// signedAs records a SigV4 signing name that is not the key.
func (s Service) signedAs(name string) Service {
	s.SigningName = name
	return s
}

// authorizedAs records that a service's actions are IAM actions of
// another service, which its requests are also signed as.
func (s Service) authorizedAs(iamPrefix, signingName string) Service {
	s.IAMPrefix, s.SigningName = iamPrefix, signingName
	return s
}

// The control planes of the global services are those AWS gives in "AWS
// Fault Isolation Boundaries", section "Global services" and appendices A
// and B (docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/global-services.html):
// IAM, Organizations, Route 53 and CloudFront in us-east-1; Global
// Accelerator and Route 53 ARC's configuration APIs (recovery control
// configuration, readiness) in us-west-2, as their API references also
// say ("you must specify the US West (Oregon) Region").

// registry lists every service drpilot supports, sorted by prefix. The SDK's
// module names stop here.
var registry = []Service{
	svc("acm", func(c aws.Config, _ bool) *acm.Client { return acm.NewFromConfig(c) }),
	svc("arc-region-switch", func(c aws.Config, _ bool) *arcregionswitch.Client { return arcregionswitch.NewFromConfig(c) }),
	svc("autoscaling", func(c aws.Config, _ bool) *autoscaling.Client { return autoscaling.NewFromConfig(c) }),
	svc("backup", func(c aws.Config, _ bool) *backup.Client { return backup.NewFromConfig(c) }),
	svc("cloudformation", func(c aws.Config, _ bool) *cloudformation.Client { return cloudformation.NewFromConfig(c) }),
	// CloudFront's data plane is the edge; its configuration API is served
	// from us-east-1 only.
	svc("cloudfront", func(c aws.Config, _ bool) *cloudfront.Client { return cloudfront.NewFromConfig(c) }).global("us-east-1",
		"an origin group fails over to its secondary origin at the edge, with no control-plane call: configure it before the incident"),
	// CloudWatch's API still signs as its old endpoint name, monitoring.
	svc("cloudwatch", func(c aws.Config, _ bool) *cloudwatch.Client { return cloudwatch.NewFromConfig(c) }).signedAs("monitoring"),
	// DocumentDB's management API is RDS's, under another name: its IAM
	// actions are rds:* and its requests are signed for rds. A runbook
	// writes docdb so that the plan says which database it touches.
	svc("docdb", func(c aws.Config, _ bool) *docdb.Client { return docdb.NewFromConfig(c) }).authorizedAs("rds", "rds"),
	svc("dynamodb", func(c aws.Config, _ bool) *dynamodb.Client { return dynamodb.NewFromConfig(c) }),
	svc("ec2", func(c aws.Config, _ bool) *ec2.Client { return ec2.NewFromConfig(c) }),
	svc("ecr", func(c aws.Config, _ bool) *ecr.Client { return ecr.NewFromConfig(c) }),
	svc("ecs", func(c aws.Config, _ bool) *ecs.Client { return ecs.NewFromConfig(c) }),
	svc("eks", func(c aws.Config, _ bool) *eks.Client { return eks.NewFromConfig(c) }),
	svc("elasticache", func(c aws.Config, _ bool) *elasticache.Client { return elasticache.NewFromConfig(c) }),
	// EFS's IAM prefix is its long name; the AWS CLI and the SDK say efs.
	svc("elasticfilesystem", func(c aws.Config, _ bool) *efs.Client { return efs.NewFromConfig(c) }).alias("efs"),
	// ELBv2's IAM prefix is long and shared with the classic load
	// balancer API; the AWS CLI and the SDK call it elbv2.
	svc("elasticloadbalancing", func(c aws.Config, _ bool) *elasticloadbalancingv2.Client {
		return elasticloadbalancingv2.NewFromConfig(c)
	}).alias("elbv2"),
	// OpenSearch Service kept Elasticsearch's IAM prefix and signing name.
	svc("es", func(c aws.Config, _ bool) *opensearch.Client { return opensearch.NewFromConfig(c) }).alias("opensearch"),
	svc("events", func(c aws.Config, _ bool) *eventbridge.Client { return eventbridge.NewFromConfig(c) }),
	svc("fis", func(c aws.Config, _ bool) *fis.Client { return fis.NewFromConfig(c) }),
	// Global Accelerator's data plane is the edge; its configuration API,
	// traffic dials included, is served from us-west-2 only.
	svc("globalaccelerator", func(c aws.Config, _ bool) *globalaccelerator.Client {
		return globalaccelerator.NewFromConfig(c)
	}).global("us-west-2", "its health checks move traffic between endpoint groups at the edge by themselves: let them fail the primary's endpoints over instead of changing traffic dials or weights"),
	// IAM authenticates in every Region but changes only in us-east-1.
	svc("iam", func(c aws.Config, _ bool) *iam.Client { return iam.NewFromConfig(c) }).global("us-east-1",
		"IAM's data plane (authentication and authorization) answers in every Region: create the roles and policies the recovery needs before the incident instead of changing IAM during it"),
	svc("kinesis", func(c aws.Config, _ bool) *kinesis.Client { return kinesis.NewFromConfig(c) }),
	svc("kms", func(c aws.Config, _ bool) *kms.Client { return kms.NewFromConfig(c) }),
	svc("lambda", func(c aws.Config, _ bool) *lambda.Client { return lambda.NewFromConfig(c) }),
	svc("logs", func(c aws.Config, _ bool) *cloudwatchlogs.Client { return cloudwatchlogs.NewFromConfig(c) }).alias("cloudwatchlogs"),
	svc("memorydb", func(c aws.Config, _ bool) *memorydb.Client { return memorydb.NewFromConfig(c) }),
	// Neptune's management API, like DocumentDB's, is RDS's.
	svc("neptune", func(c aws.Config, _ bool) *neptune.Client { return neptune.NewFromConfig(c) }).authorizedAs("rds", "rds"),
	svc("organizations", func(c aws.Config, _ bool) *organizations.Client {
		return organizations.NewFromConfig(c)
	}).global("us-east-1", ""),
	svc("rds", func(c aws.Config, _ bool) *rds.Client { return rds.NewFromConfig(c) }),
	// Route 53's changes (records, health checks, zones) go through its
	// control plane in us-east-1; DNS answers and health checking do not.
	svc("route53", func(c aws.Config, _ bool) *route53.Client { return route53.NewFromConfig(c) }).global("us-east-1",
		"failover records driven by health checks, or ARC routing controls changed through their cluster endpoints in five Regions, move traffic through Route 53's data plane: set them up before the incident, with health checks that follow something you can change without Route 53 (an endpoint, a CloudWatch alarm)"),
	// ARC's configuration (clusters, control panels, routing controls,
	// safety rules) lives in us-west-2. Flipping a routing control is the
	// cluster API's, through the cluster's own Regional endpoints.
	svc("route53-recovery-control-config", func(c aws.Config, _ bool) *route53recoverycontrolconfig.Client {
		return route53recoverycontrolconfig.NewFromConfig(c)
	}).alias("route53recoverycontrolconfig").global("us-west-2",
		"flip routing controls through the cluster's own endpoints in five Regions (the routing-control data plane), not through the configuration API"),
	svc("route53-recovery-readiness", func(c aws.Config, _ bool) *route53recoveryreadiness.Client {
		return route53recoveryreadiness.NewFromConfig(c)
	}).alias("route53recoveryreadiness").global("us-west-2", ""),
	svc("s3", func(c aws.Config, pathStyle bool) *s3.Client {
		return s3.NewFromConfig(c, func(o *s3.Options) { o.UsePathStyle = pathStyle })
	}).inResourceRegion(),
	svc("secretsmanager", func(c aws.Config, _ bool) *secretsmanager.Client { return secretsmanager.NewFromConfig(c) }),
	svc("ses", func(c aws.Config, _ bool) *sesv2.Client { return sesv2.NewFromConfig(c) }),
	svc("sns", func(c aws.Config, _ bool) *sns.Client { return sns.NewFromConfig(c) }),
	svc("sqs", func(c aws.Config, _ bool) *sqs.Client { return sqs.NewFromConfig(c) }),
	svc("ssm", func(c aws.Config, _ bool) *ssm.Client { return ssm.NewFromConfig(c) }),
	svc("ssm-contacts", func(c aws.Config, _ bool) *ssmcontacts.Client { return ssmcontacts.NewFromConfig(c) }),
	svc("ssm-incidents", func(c aws.Config, _ bool) *ssmincidents.Client { return ssmincidents.NewFromConfig(c) }),
	// Step Functions' IAM prefix and signing name are states; the AWS CLI
	// says stepfunctions and the SDK sfn.
	svc("states", func(c aws.Config, _ bool) *sfn.Client { return sfn.NewFromConfig(c) }).alias("sfn", "stepfunctions"),
	svc("sts", func(c aws.Config, _ bool) *sts.Client { return sts.NewFromConfig(c) }),
}

// byName indexes the registry by prefix and by alias.
var byName = func() map[string]*Service {
	idx := make(map[string]*Service, 2*len(registry))
	for i := range registry {
		s := &registry[i]
		idx[s.Prefix] = s
		for _, a := range s.Aliases {
			idx[a] = s
		}
	}
	return idx
}()

// Lookup returns the service a runbook names, by IAM prefix or alias.
func Lookup(name string) (Service, bool) {
	s, ok := byName[name]
	if !ok {
		return Service{}, false
	}
	return *s, true
}

// canonical returns the IAM prefix for a service name or alias.
func canonical(service string) (string, bool) {
	s, ok := byName[service]
	if !ok {
		return "", false
	}
	return s.Prefix, true
}

// Registry returns every supported service, sorted by prefix.
func Registry() []Service { return slices.Clone(registry) }

// Services lists the IAM prefixes of the services Invoke can call, sorted.
func Services() []string {
	out := make([]string, len(registry))
	for i, s := range registry {
		out[i] = s.Prefix
	}
	return out
}

// Names lists every name a runbook may give a service, prefixes and
// aliases, sorted.
func Names() []string {
	out := make([]string, 0, len(byName))
	for name := range byName {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// operationIndex caches, per service, its client's operations: the
// exported methods shaped like func(ctx, *XInput, ...func(*Options))
// (*XOutput, error).
// It is built on first use, so that a run that never asks pays nothing.
var operationIndex = sync.OnceValue(func() map[string]map[string]reflect.Method {
	idx := make(map[string]map[string]reflect.Method, len(registry))
	for _, s := range registry {
		t := s.client
		ops := map[string]reflect.Method{}
		for i := 0; i < t.NumMethod(); i++ {
			m := t.Method(i)
			if isOperation(m.Type) {
				ops[m.Name] = m
			}
		}
		idx[s.Prefix] = ops
	}
	return idx
})

// isOperation recognises an SDK operation method by its signature, with
// the receiver as first argument.
func isOperation(t reflect.Type) bool {
	if t.NumIn() != 4 || !t.IsVariadic() || t.NumOut() != 2 {
		return false
	}
	in, out := t.In(2), t.Out(0)
	return in.Kind() == reflect.Pointer && strings.HasSuffix(in.Elem().Name(), "Input") &&
		out.Kind() == reflect.Pointer && strings.HasSuffix(out.Elem().Name(), "Output")
}

// HasOperation reports whether the linked SDK client of service has the
// operation, so that a typo such as route53:GetHostedZones is caught
// before the run instead of at 3 a.m.
func HasOperation(service, operation string) bool {
	canon, ok := canonical(service)
	if !ok {
		return false
	}
	_, ok = operationIndex()[canon][operation]
	return ok
}

// Operations lists the operations of a service's client, sorted.
func Operations(service string) []string {
	canon, ok := canonical(service)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(operationIndex()[canon]))
	for op := range operationIndex()[canon] {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}
