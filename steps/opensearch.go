package steps

import "github.com/drpilot/drpilot/runbooks"

// openSearchActions are the Amazon OpenSearch Service actions (IAM prefix
// es, which runbooks may also call opensearch).
func openSearchActions() []Action {
	return []Action{
		openSearchWaitHealthy().runs(runOpenSearchWaitHealthy),
		openSearchRestoreSnapshot().runs(runOpenSearchRestore).plans(planOpenSearchRestore),
	}
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

// openSearchRestoreSnapshot restores indices from a snapshot through the
// domain's own REST API, which no SDK client calls: the requests are
// signed by awsclient and authorized as es:ESHttpGet and es:ESHttpPost.
func openSearchRestoreSnapshot() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:    "opensearch.restore-snapshot",
			Summary: "Restore indices from a snapshot (a named one, or the newest successful one of a repository) into an OpenSearch Service domain, through the domain's REST API, and wait until they are green.",
			Phases:  []string{"restore"},
			Calls: []runbooks.Call{
				lookup("es:DescribeDomain"),
				{Operation: "es:ESHttpGet", Purpose: PurposeCheck, HTTP: "GET"},
				{Operation: "es:ESHttpPost", Purpose: PurposeAction, Mutating: true, HTTP: "POST"},
			},
			Mutating: true,
			Params: []runbooks.Param{
				required(str("domain_name", "", "The name of the domain to restore into, in the step's Region; its endpoint is read from DescribeDomain.")),
				required(str("repository", "", "The snapshot repository registered on the domain: cs-automated for the domain's own hourly snapshots, "+
					"or the manual (S3) repository to which the primary Region's domain writes its snapshots.")),
				required(str("snapshot", "", `A snapshot's name, or "latest": the newest snapshot of the repository whose state is SUCCESS.`)),
				required(listOf("indices", "", stringElem(), `The indices to restore: names or patterns ("orders", "products-*"). System indices are best left out.`)),
				str("rename_pattern", "", "A regular expression over the restored indices' names, to restore them under other names (with rename_replacement)."),
				str("rename_replacement", "", `The new name for rename_pattern's matches: "restored-$1".`),
				defaulting(boolean("accept_yellow", "", "Count yellow (every primary shard allocated, some replicas not yet) as done, for a domain whose replicas take long to allocate."), false),
			},
			Input: func(with map[string]any) map[string]any {
				return map[string]any{"DomainName": with["domain_name"]}
			},
			Outputs: []string{"Endpoint", "Snapshot", "SnapshotStartTime", "Indices", "Status"},
			Idempotency: "Check before act (GET _cat/indices?format=json): when every index the snapshot restores exists already (a retry, or a resumed run whose restore was sent), " +
				"the restore is not sent again and the step only waits; when some exist and some do not, the step fails, since OpenSearch would refuse the restore. " +
				"The restore is in the audit log before it is sent, and a resumed run reuses its logged answer.",
			Wait: "Before the gate: DescribeDomain for the endpoint, GET _snapshot/<repository>/_all to choose the snapshot and note its start time and age against the runbook's rpo " +
				"(the step's recovery point). The gate shows the POST _snapshot/<repository>/<snapshot>/_restore URL and body (include_global_state false). " +
				"After it, GET _cluster/health/<indices> until green (yellow too with accept_yellow); indices still red at the timeout fail the step with their unassigned shards. " +
				"The response has the domain's Endpoint, the Snapshot, its SnapshotStartTime, the restored Indices and their Status.",
			Expect:  runbooks.Minutes(15),
			Timeout: runbooks.Minutes(120),
		},
		example: example{
			id: "restore-search", phase: "restore", title: "Restore the catalogue's search indices",
			with: []setting{{"domain_name", `"catalog-search"`}, {"repository", `"dr-snapshots"`}, {"snapshot", `"latest"`},
				{"indices", `["products", "reviews-*"]`}},
			outputs: []setting{{"search_snapshot", `"Snapshot"`}},
		},
	}
}
