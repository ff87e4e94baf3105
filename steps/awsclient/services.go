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
	"github.com/aws/aws-sdk-go-v2/service/arcregionswitch"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
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
// how runbooks name it, how its client is built, and where its control
// plane lives. The operation classifier, the catalogue's checks, the
// reference docs and the IAM policy all read this table.
type Service struct {
	// Prefix is the IAM service prefix: how runbooks, CloudTrail, IAM
	// policies and the audit log name the service ("rds").
	Prefix string
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
	build     newClient
	client    reflect.Type
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

// global marks a service whose control plane is in one Region, and names
// the data-plane alternative a failover should prefer ("" when none).
func (s Service) global(region, dataPlane string) Service {
	s.ControlPlane, s.DataPlane = region, dataPlane
	return s
}

// registry lists every service drpilot supports, sorted by prefix. The SDK's
// module names stop here.
var registry = []Service{
	svc("arc-region-switch", func(c aws.Config, _ bool) *arcregionswitch.Client { return arcregionswitch.NewFromConfig(c) }),
	svc("autoscaling", func(c aws.Config, _ bool) *autoscaling.Client { return autoscaling.NewFromConfig(c) }),
	svc("backup", func(c aws.Config, _ bool) *backup.Client { return backup.NewFromConfig(c) }),
	svc("cloudwatch", func(c aws.Config, _ bool) *cloudwatch.Client { return cloudwatch.NewFromConfig(c) }),
	svc("dynamodb", func(c aws.Config, _ bool) *dynamodb.Client { return dynamodb.NewFromConfig(c) }),
	svc("ec2", func(c aws.Config, _ bool) *ec2.Client { return ec2.NewFromConfig(c) }),
	svc("ecs", func(c aws.Config, _ bool) *ecs.Client { return ecs.NewFromConfig(c) }),
	// ELBv2's IAM prefix is long and shared with the classic load
	// balancer API; the AWS CLI and the SDK call it elbv2.
	svc("elasticloadbalancing", func(c aws.Config, _ bool) *elasticloadbalancingv2.Client {
		return elasticloadbalancingv2.NewFromConfig(c)
	}).alias("elbv2"),
	svc("events", func(c aws.Config, _ bool) *eventbridge.Client { return eventbridge.NewFromConfig(c) }),
	svc("lambda", func(c aws.Config, _ bool) *lambda.Client { return lambda.NewFromConfig(c) }),
	svc("rds", func(c aws.Config, _ bool) *rds.Client { return rds.NewFromConfig(c) }),
	// Route 53's changes (records, health checks, zones) go through its
	// control plane in us-east-1; DNS answers and health checking do not.
	svc("route53", func(c aws.Config, _ bool) *route53.Client { return route53.NewFromConfig(c) }).global("us-east-1",
		"failover records driven by health checks, or ARC routing controls changed through their cluster endpoints in five Regions, move traffic through Route 53's data plane: set them up before the incident, with health checks that follow something you can change without Route 53 (an endpoint, a CloudWatch alarm)"),
	svc("s3", func(c aws.Config, pathStyle bool) *s3.Client {
		return s3.NewFromConfig(c, func(o *s3.Options) { o.UsePathStyle = pathStyle })
	}),
	svc("ses", func(c aws.Config, _ bool) *sesv2.Client { return sesv2.NewFromConfig(c) }),
	svc("sns", func(c aws.Config, _ bool) *sns.Client { return sns.NewFromConfig(c) }),
	svc("ssm", func(c aws.Config, _ bool) *ssm.Client { return ssm.NewFromConfig(c) }),
	svc("ssm-contacts", func(c aws.Config, _ bool) *ssmcontacts.Client { return ssmcontacts.NewFromConfig(c) }),
	svc("ssm-incidents", func(c aws.Config, _ bool) *ssmincidents.Client { return ssmincidents.NewFromConfig(c) }),
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
