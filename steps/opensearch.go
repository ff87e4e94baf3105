package steps

import "github.com/drpilot/drpilot/runbooks"

// openSearchActions are the Amazon OpenSearch Service actions (IAM prefix
// es, which runbooks may also call opensearch).
func openSearchActions() []Action {
	return []Action{openSearchWaitHealthy().runs(runOpenSearchWaitHealthy)}
}

// openSearchWaitHealthy waits until a domain is up and no change is under
// way on it, as far as the configuration API can say.
func openSearchWaitHealthy() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:    "opensearch.wait-healthy",
			Summary: "Wait until an OpenSearch Service domain is created, has an endpoint and has no configuration change or upgrade under way.",
			Phases:  []string{"restore", "verify"},
			Calls:   []runbooks.Call{waitOn("es:DescribeDomain")},
			Params: []runbooks.Param{
				required(str("domain_name", "DomainName", "The name of the domain in the step's Region.")),
			},
			Outputs:     []string{"DomainStatus.Endpoint", "DomainStatus.ARN", "DomainStatus.EngineVersion", "DomainStatus.DomainProcessingStatus"},
			Response:    "es:DescribeDomain",
			Idempotency: "Read-only: nothing to repeat.",
			Wait: "Polls DescribeDomain until the domain is Created, not Deleted, has an Endpoint (or, in a VPC, Endpoints), and neither Processing nor UpgradeProcessing, " +
				"with DomainProcessingStatus Active when AWS reports it; a domain Deleting or Isolated fails the step. " +
				"The cluster's health (green, yellow, red) is not part of the configuration API and is not checked: it is the domain's own _cluster/health, " +
				"or CloudWatch's AWS/ES ClusterStatus.red, which a cloudwatch.wait-alarm step can watch. The response is that last DescribeDomain response.",
			Expect:  runbooks.Minutes(5),
			Timeout: runbooks.Minutes(60),
		},
		example: example{
			id: "search-ready", phase: "verify", title: "The recovery search domain is ready",
			with:    []setting{{"domain_name", `"catalog-search"`}},
			outputs: []setting{{"search_endpoint", `"DomainStatus.Endpoint"`}},
		},
	}
}
