package sandbox

// The resources of the operations the catalogue's newer actions change,
// as the Service Authorization Reference lists them: FIS experiments and
// their templates, ElastiCache global datastores, CloudFormation stacks.

var fisAuthz = map[string]authzFunc{
	// A start is authorized on the template and on the experiment it
	// makes, whose id is FIS's to choose: IAM checks experiment/*.
	"StartExperiment": func(r *authzReq) []check {
		return r.own(r.ref("fis", "experiment-template/", r.in("experimentTemplateId")), r.ref("fis", "experiment/", "*"))
	},
	"StopExperiment": func(r *authzReq) []check { return r.own(r.ref("fis", "experiment/", r.in("id"))) },
	"GetExperiment":  func(r *authzReq) []check { return r.own(r.ref("fis", "experiment/", r.in("id"))) },
	"GetExperimentTemplate": func(r *authzReq) []check {
		return r.own(r.ref("fis", "experiment-template/", r.in("id")))
	},
}

var elastiCacheAuthz = map[string]authzFunc{
	// A failover is authorized on the global datastore, whose ARN names
	// no Region, and on the replication group it makes primary, in the
	// Region it names.
	"FailoverGlobalReplicationGroup": func(r *authzReq) []check {
		region := r.in("PrimaryRegion")
		if region == "" {
			region = r.c.region
		}
		group := arn("elasticache", region, r.c.account(), "replicationgroup:"+orAll(r.in("PrimaryReplicationGroupId")))
		return r.own(arn("elasticache", "", r.c.account(), "globalreplicationgroup:"+orAll(r.in("GlobalReplicationGroupId"))), group)
	},
}

var cloudFormationAuthz = map[string]authzFunc{
	// A stack's ARN ends in an id CloudFormation chooses: IAM checks
	// stack/NAME/*.
	"CreateChangeSet": func(r *authzReq) []check {
		return r.own(r.ref("cloudformation", "stack/", orAll(r.in("StackName"))+"/*"))
	},
}

// orAll is a name, or "*" when the request gives none.
func orAll(name string) string {
	if name == "" {
		return "*"
	}
	return name
}
