package sandbox

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/fis"
	fistypes "github.com/aws/aws-sdk-go-v2/service/fis/types"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"
)

// The ElastiCache, OpenSearch Service and FIS simulations through the SDK:
// what the actions' tests in steps do not reach.

// TestElastiCacheGlobalDatastore: members show only with ShowMemberInfo;
// a failover leaves the datastore modifying for a minute, refuses a second
// one meanwhile, then swaps the roles.
func TestElastiCacheGlobalDatastore(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	dublin := elasticache.NewFromConfig(awsConfig(t, url, "eu-west-1"))
	paris := elasticache.NewFromConfig(awsConfig(t, url, "eu-west-3"))
	if _, err := dublin.CreateReplicationGroup(ctx(t), &elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("carts-a"),
		ReplicationGroupDescription: aws.String("carts")}); err != nil {
		t.Fatal(err)
	}
	g, err := dublin.CreateGlobalReplicationGroup(ctx(t), &elasticache.CreateGlobalReplicationGroupInput{
		GlobalReplicationGroupIdSuffix: aws.String("carts"), PrimaryReplicationGroupId: aws.String("carts-a")})
	if err != nil {
		t.Fatal(err)
	}
	id := g.GlobalReplicationGroup.GlobalReplicationGroupId
	if _, err := paris.CreateReplicationGroup(ctx(t), &elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("carts-b"),
		ReplicationGroupDescription: aws.String("carts"), GlobalReplicationGroupId: id}); err != nil {
		t.Fatal(err)
	}
	describe := func(members bool) (string, map[string]string) {
		out, err := paris.DescribeGlobalReplicationGroups(ctx(t), &elasticache.DescribeGlobalReplicationGroupsInput{
			GlobalReplicationGroupId: id, ShowMemberInfo: aws.Bool(members)})
		if err != nil || len(out.GlobalReplicationGroups) != 1 {
			t.Fatalf("%+v %v", out, err)
		}
		roles := map[string]string{}
		for _, m := range out.GlobalReplicationGroups[0].Members {
			roles[aws.ToString(m.ReplicationGroupId)] = aws.ToString(m.Role)
		}
		return aws.ToString(out.GlobalReplicationGroups[0].Status), roles
	}
	if _, roles := describe(false); len(roles) != 0 {
		t.Errorf("members without ShowMemberInfo: %v", roles)
	}
	sb.clock.Advance(15 * time.Minute)
	failover := &elasticache.FailoverGlobalReplicationGroupInput{GlobalReplicationGroupId: id,
		PrimaryRegion: aws.String("eu-west-3"), PrimaryReplicationGroupId: aws.String("carts-b")}
	if _, err := paris.FailoverGlobalReplicationGroup(ctx(t), failover); err != nil {
		t.Fatal(err)
	}
	if status, roles := describe(true); status != "modifying" || roles["carts-a"] != "PRIMARY" {
		t.Errorf("during the failover: %s %v", status, roles)
	}
	if _, err := paris.FailoverGlobalReplicationGroup(ctx(t), failover); apiCode(err) != "InvalidGlobalReplicationGroupState" {
		t.Errorf("a second failover while modifying: %v", err)
	}
	sb.clock.Advance(time.Minute)
	if status, roles := describe(true); status != "available" || roles["carts-b"] != "PRIMARY" || roles["carts-a"] != "SECONDARY" {
		t.Errorf("after the failover: %s %v", status, roles)
	}
	if _, err := paris.FailoverGlobalReplicationGroup(ctx(t), failover); apiCode(err) != "InvalidParameterValue" {
		t.Errorf("a failover to the primary: %v", err)
	}
}

// TestOpenSearchDomains: a domain is Processing, without an endpoint,
// until it is created; a change makes it Processing again; a missing one
// is a 409.
func TestOpenSearchDomains(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := opensearch.NewFromConfig(awsConfig(t, url, "eu-west-1"))
	if _, err := client.CreateDomain(ctx(t), &opensearch.CreateDomainInput{DomainName: aws.String("logs")}); err != nil {
		t.Fatal(err)
	}
	processing := func() (bool, string) {
		out, err := client.DescribeDomain(ctx(t), &opensearch.DescribeDomainInput{DomainName: aws.String("logs")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToBool(out.DomainStatus.Processing), aws.ToString(out.DomainStatus.Endpoint)
	}
	if busy, endpoint := processing(); !busy || endpoint != "" {
		t.Errorf("a new domain: processing %v, endpoint %q", busy, endpoint)
	}
	sb.clock.Advance(15 * time.Minute)
	if busy, endpoint := processing(); busy || endpoint == "" {
		t.Errorf("a created domain: processing %v, endpoint %q", busy, endpoint)
	}
	if _, err := client.UpdateDomainConfig(ctx(t), &opensearch.UpdateDomainConfigInput{DomainName: aws.String("logs")}); err != nil {
		t.Fatal(err)
	}
	if busy, _ := processing(); !busy {
		t.Error("a domain being changed is not processing")
	}
	names, err := client.ListDomainNames(ctx(t), &opensearch.ListDomainNamesInput{})
	if err != nil || len(names.DomainNames) != 1 || aws.ToString(names.DomainNames[0].DomainName) != "logs" || names.DomainNames[0].EngineType != "OpenSearch" {
		t.Errorf("ListDomainNames: %+v %v", names, err)
	}
	some, err := client.DescribeDomains(ctx(t), &opensearch.DescribeDomainsInput{DomainNames: []string{"logs", "metrics"}})
	if err != nil || len(some.DomainStatusList) != 1 {
		t.Errorf("DescribeDomains: %+v %v", some, err)
	}
	if _, err := client.DescribeDomain(ctx(t), &opensearch.DescribeDomainInput{DomainName: aws.String("metrics")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("a missing domain: %v", err)
	}
}

// TestFISExperiments: a client token starts one experiment; it runs for
// its actions' chain, then completes; an ended one cannot be stopped.
func TestFISExperiments(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := fis.NewFromConfig(awsConfig(t, url, "eu-west-1"))
	tmpl, err := client.CreateExperimentTemplate(ctx(t), &fis.CreateExperimentTemplateInput{ClientToken: aws.String("t1"),
		Description: aws.String("drill"), RoleArn: aws.String("arn:aws:iam::123456789012:role/fis"),
		StopConditions: []fistypes.CreateExperimentTemplateStopConditionInput{{Source: aws.String("none")}},
		Actions: map[string]fistypes.CreateExperimentTemplateActionInput{
			"pause":    {ActionId: aws.String("aws:fis:wait"), Parameters: map[string]string{"duration": "PT2M"}},
			"throttle": {ActionId: aws.String("aws:fis:inject-api-throttle-error"), Parameters: map[string]string{"duration": "PT5M"}, StartAfter: []string{"pause"}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	start := &fis.StartExperimentInput{ExperimentTemplateId: tmpl.ExperimentTemplate.Id, ClientToken: aws.String("run-1/step")}
	first, err := client.StartExperiment(ctx(t), start)
	if err != nil {
		t.Fatal(err)
	}
	again, err := client.StartExperiment(ctx(t), start)
	if err != nil || aws.ToString(again.Experiment.Id) != aws.ToString(first.Experiment.Id) {
		t.Errorf("the same token started %v, then %v (%v)", first.Experiment.Id, again.Experiment.Id, err)
	}
	status := func() fistypes.ExperimentStatus {
		out, err := client.GetExperiment(ctx(t), &fis.GetExperimentInput{Id: first.Experiment.Id})
		if err != nil {
			t.Fatal(err)
		}
		return out.Experiment.State.Status
	}
	for _, step := range []struct {
		advance time.Duration
		want    fistypes.ExperimentStatus
	}{{0, "initiating"}, {time.Minute, "running"}, {6 * time.Minute, "running"}, {time.Minute, "completed"}} {
		sb.clock.Advance(step.advance)
		if got := status(); got != step.want {
			t.Errorf("after %s more: %s, want %s", step.advance, got, step.want)
		}
	}
	if _, err := client.StopExperiment(ctx(t), &fis.StopExperimentInput{Id: first.Experiment.Id}); apiCode(err) != "ValidationException" {
		t.Errorf("stopping a completed experiment: %v", err)
	}
	list, err := client.ListExperiments(ctx(t), &fis.ListExperimentsInput{})
	if err != nil || len(list.Experiments) != 1 {
		t.Errorf("ListExperiments: %+v %v", list, err)
	}
}
