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

// service is one supported AWS service: how to build its client, and the
// client's type, whose methods are the operations Invoke can call.
type service struct {
	build  newClient
	client reflect.Type
}

// svc pairs a constructor with the client type it returns.
func svc[C any](build func(aws.Config, bool) *C) service {
	return service{
		build:  func(c aws.Config, p bool) any { return build(c, p) },
		client: reflect.TypeFor[*C](),
	}
}

// services maps each IAM service prefix drpilot supports to its SDK
// client. Runbooks, the audit log and CloudTrail name services by that
// prefix, so the SDK's module names stop here.
var services = map[string]service{
	"arc-region-switch": svc(func(c aws.Config, _ bool) *arcregionswitch.Client { return arcregionswitch.NewFromConfig(c) }),
	"autoscaling":       svc(func(c aws.Config, _ bool) *autoscaling.Client { return autoscaling.NewFromConfig(c) }),
	"backup":            svc(func(c aws.Config, _ bool) *backup.Client { return backup.NewFromConfig(c) }),
	"cloudwatch":        svc(func(c aws.Config, _ bool) *cloudwatch.Client { return cloudwatch.NewFromConfig(c) }),
	"dynamodb":          svc(func(c aws.Config, _ bool) *dynamodb.Client { return dynamodb.NewFromConfig(c) }),
	"ec2":               svc(func(c aws.Config, _ bool) *ec2.Client { return ec2.NewFromConfig(c) }),
	"ecs":               svc(func(c aws.Config, _ bool) *ecs.Client { return ecs.NewFromConfig(c) }),
	"elasticloadbalancing": svc(func(c aws.Config, _ bool) *elasticloadbalancingv2.Client {
		return elasticloadbalancingv2.NewFromConfig(c)
	}),
	"events":  svc(func(c aws.Config, _ bool) *eventbridge.Client { return eventbridge.NewFromConfig(c) }),
	"lambda":  svc(func(c aws.Config, _ bool) *lambda.Client { return lambda.NewFromConfig(c) }),
	"rds":     svc(func(c aws.Config, _ bool) *rds.Client { return rds.NewFromConfig(c) }),
	"route53": svc(func(c aws.Config, _ bool) *route53.Client { return route53.NewFromConfig(c) }),
	"s3": svc(func(c aws.Config, pathStyle bool) *s3.Client {
		return s3.NewFromConfig(c, func(o *s3.Options) { o.UsePathStyle = pathStyle })
	}),
	"ses":           svc(func(c aws.Config, _ bool) *sesv2.Client { return sesv2.NewFromConfig(c) }),
	"sns":           svc(func(c aws.Config, _ bool) *sns.Client { return sns.NewFromConfig(c) }),
	"ssm":           svc(func(c aws.Config, _ bool) *ssm.Client { return ssm.NewFromConfig(c) }),
	"ssm-contacts":  svc(func(c aws.Config, _ bool) *ssmcontacts.Client { return ssmcontacts.NewFromConfig(c) }),
	"ssm-incidents": svc(func(c aws.Config, _ bool) *ssmincidents.Client { return ssmincidents.NewFromConfig(c) }),
	"sts":           svc(func(c aws.Config, _ bool) *sts.Client { return sts.NewFromConfig(c) }),
}

// aliases are other names runbooks use for a service (see
// steps.CanonicalService); the client is the same.
var aliases = map[string]string{"elbv2": "elasticloadbalancing"}

// canonical returns the IAM prefix for a service name or alias.
func canonical(service string) (string, bool) {
	if c, ok := aliases[service]; ok {
		return c, true
	}
	_, ok := services[service]
	return service, ok
}

// Services lists the IAM prefixes of the services Invoke can call, sorted.
func Services() []string {
	out := make([]string, 0, len(services))
	for s := range services {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// operationIndex caches, per service, its client's operations: the
// exported methods shaped like func(ctx, *XInput, ...func(*Options))
// (*XOutput, error).
// It is built on first use, so that a run that never asks pays nothing.
var operationIndex = sync.OnceValue(func() map[string]map[string]reflect.Method {
	idx := make(map[string]map[string]reflect.Method, len(services))
	for name, s := range services {
		t := s.client
		ops := map[string]reflect.Method{}
		for i := 0; i < t.NumMethod(); i++ {
			m := t.Method(i)
			if isOperation(m.Type) {
				ops[m.Name] = m
			}
		}
		idx[name] = ops
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
