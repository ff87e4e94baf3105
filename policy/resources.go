package policy

import (
	"fmt"
	"strings"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// target is one call as the plan knows it before the run.
type target struct {
	service awsclient.Service
	region  string
	account string
	input   map[string]any
}

// grant is one IAM action on some resources, under some conditions.
type grant struct {
	action     string
	resources  []string
	conditions map[string]map[string][]string
	global     bool
}

// everything is the resource of an action that does not authorize on a
// resource, or whose resource is known only during the run.
var everything = []string{"*"}

// iamOperation is the IAM action name AWS authorizes an API operation as,
// where the two differ (the Service Authorization Reference's "Actions"
// table lists the API operations each action covers).
func iamOperation(prefix, op string) string {
	if prefix == "s3" {
		switch op {
		case "ListObjectsV2", "ListObjects", "HeadBucket":
			return "ListBucket"
		case "HeadObject":
			return "GetObject"
		case "GetBucketReplication":
			return "GetReplicationConfiguration"
		case "PutBucketReplication", "DeleteBucketReplication":
			return "PutReplicationConfiguration"
		}
	}
	return op
}

// resourcesFor is what a mutating call needs: its action scoped to the
// resources the Service Authorization Reference says it authorizes on,
// when the plan knows them, and the other actions AWS checks with it.
func resourcesFor(action string, at target) []grant {
	if scope, ok := scoped[action]; ok {
		return scope(action, at)
	}
	return []grant{{action: action, resources: everything}}
}

// scoped lists, for the mutating operations of the catalogue's actions,
// the resources they authorize on. An operation missing here is granted
// on every resource.
var scoped = map[string]func(action string, at target) []grant{
	"ssm:PutParameter": func(a string, at target) []grant {
		return one(a, at.arn("ssm", "parameter/"+strings.TrimPrefix(at.str("Name"), "/"), "Name"))
	},
	"sns:Publish":                          member("TopicArn"),
	"elasticloadbalancing:RegisterTargets": member("TargetGroupArn"),
	"arc-region-switch:StartPlanExecution": member("PlanArn"),
	"ssm-contacts:StartEngagement":         member("ContactId"),
	"ssm-incidents:StartIncident":          member("ResponsePlanArn"),
	"route53:ChangeResourceRecordSets": func(a string, at target) []grant {
		return one(a, at.known("arn:aws:route53:::hostedzone/"+strings.TrimPrefix(at.str("HostedZoneId"), "/hostedzone/"), "HostedZoneId"))
	},
	"route53:UpdateHealthCheck": func(a string, at target) []grant {
		return one(a, at.known("arn:aws:route53:::healthcheck/"+at.str("HealthCheckId"), "HealthCheckId"))
	},
	"lambda:PutFunctionConcurrency": func(a string, at target) []grant {
		return one(a, at.arnOrName("lambda", "function:", "FunctionName"))
	},
	"events:DisableRule": func(a string, at target) []grant {
		rule := "rule/" + at.str("Name")
		if bus := at.str("EventBusName"); bus != "" && bus != "default" {
			rule = "rule/" + bus + "/" + at.str("Name")
		}
		return one(a, at.arn("events", rule, "Name", "EventBusName"))
	},
	"ecs:UpdateService": func(a string, at target) []grant {
		if svc := at.str("Service"); strings.HasPrefix(svc, "arn:") {
			return one(a, at.known(svc, "Service"))
		}
		cluster := at.str("Cluster")
		if runbooks.HasTemplate(cluster) {
			return one(a, everything)
		}
		if cluster == "" {
			cluster = "default"
		}
		_, name, found := strings.Cut(cluster, ":cluster/")
		if found {
			cluster = name
		}
		return one(a, at.arn("ecs", "service/"+cluster+"/"+at.str("Service"), "Service"))
	},
	"autoscaling:UpdateAutoScalingGroup": func(a string, at target) []grant {
		return one(a, at.arn("autoscaling", "autoScalingGroup:*:autoScalingGroupName/"+at.str("AutoScalingGroupName"), "AutoScalingGroupName"))
	},
	"rds:PromoteReadReplica": func(a string, at target) []grant {
		return one(a, at.arnOrName("rds", "db:", "DBInstanceIdentifier"))
	},
	"rds:FailoverGlobalCluster": func(a string, at target) []grant {
		global := at.known(fmt.Sprintf("arn:aws:rds::%s:global-cluster:%s", at.account, at.str("GlobalClusterIdentifier")), "GlobalClusterIdentifier")
		return one(a, append(global, at.arnOrName("rds", "cluster:", "TargetDbClusterIdentifier")...))
	},
	"elasticache:FailoverGlobalReplicationGroup": failoverGlobalDatastore,
	// FIS authorizes a start on the template and on the experiment it
	// makes, whose id is FIS's to choose.
	"fis:StartExperiment": func(a string, at target) []grant {
		return one(a, append(at.arn("fis", "experiment-template/"+at.str("ExperimentTemplateId"), "ExperimentTemplateId"),
			at.arn("fis", "experiment/*")...))
	},
	"fis:StopExperiment": func(a string, at target) []grant {
		return one(a, at.arn("fis", "experiment/"+at.str("Id"), "Id"))
	},
	"cloudformation:CreateChangeSet":     createChangeSet,
	"es:ESHttpPost":                      domainPaths,
	"es:ESHttpGet":                       domainPaths,
	"dynamodb:RestoreTableToPointInTime": restoreTable,
	// aws.call's item writes name their table.
	"dynamodb:PutItem":       tableItems,
	"dynamodb:UpdateItem":    tableItems,
	"dynamodb:DeleteItem":    tableItems,
	"backup:StartRestoreJob": startRestoreJob,
	"ec2:CreateVolume":       createVolume,
	"ec2:AttachVolume": func(a string, at target) []grant {
		return one(a, append(at.arn("ec2", "volume/"+at.str("VolumeId"), "VolumeId"), at.arn("ec2", "instance/"+at.str("InstanceId"), "InstanceId")...))
	},
}

// endpointRead reports a read of a resource's own endpoint, which IAM
// authorizes on the resource (an OpenSearch domain's paths) where other
// reads are granted on every resource.
func endpointRead(operation string) bool {
	service, op, _ := strings.Cut(operation, ":")
	svc, _ := awsclient.Lookup(service)
	return svc.Prefix == "es" && (op == "ESHttpGet" || op == "ESHttpHead")
}

// domainPaths: a request to an OpenSearch domain's REST API is authorized
// on the path it asks for, under arn:aws:es:REGION:ACCOUNT:domain/NAME/.
func domainPaths(a string, at target) []grant {
	return one(a, at.arn("es", "domain/"+at.str("DomainName")+"/*", "DomainName"))
}

// failoverGlobalDatastore is authorized on the global datastore, whose ARN
// names no Region, and on the replication group made primary, in
// PrimaryRegion (the step's Region when the step leaves it out).
func failoverGlobalDatastore(a string, at target) []grant {
	global := at.known(fmt.Sprintf("arn:aws:elasticache::%s:globalreplicationgroup:%s", at.account, at.str("GlobalReplicationGroupId")), "GlobalReplicationGroupId")
	region, members := at.region, []string{"PrimaryReplicationGroupId"}
	if r := at.str("PrimaryRegion"); r != "" {
		region, members = r, append(members, "PrimaryRegion")
	}
	group := at.known(fmt.Sprintf("arn:aws:elasticache:%s:%s:replicationgroup:%s", region, at.account, at.str("PrimaryReplicationGroupId")), members...)
	return one(a, append(global, group...))
}

// tableItems: an item write is authorized on its table.
func tableItems(a string, at target) []grant {
	return one(a, at.arnOrName("dynamodb", "table/", "TableName"))
}

// restoreTable: a point-in-time restore is authorized on the source table,
// and AWS checks that the caller may write the table it creates.
func restoreTable(a string, at target) []grant {
	source := at.known(at.str("SourceTableArn"), "SourceTableArn")
	if at.str("SourceTableArn") == "" {
		source = at.arn("dynamodb", "table/"+at.str("SourceTableName"), "SourceTableName")
	}
	restored := at.arn("dynamodb", "table/"+at.str("TargetTableName"), "TargetTableName")
	writes := grant{resources: restored}
	grants := []grant{{action: a, resources: source}}
	for _, w := range []string{"BatchWriteItem", "DeleteItem", "GetItem", "PutItem", "Query", "Scan", "UpdateItem"} {
		writes.action = "dynamodb:" + w
		grants = append(grants, writes)
	}
	return grants
}

// startRestoreJob: the recovery point is chosen during the run; the role
// the job assumes is passed to AWS Backup, which IAM checks as PassRole.
func startRestoreJob(a string, at target) []grant {
	grants := []grant{{action: a, resources: everything}}
	if role := at.str("IamRoleArn"); role != "" {
		grants = append(grants, grant{action: "iam:PassRole", resources: at.known(role, "IamRoleArn"),
			conditions: map[string]map[string][]string{"StringEquals": {"iam:PassedToService": {"backup.amazonaws.com"}}}})
	}
	return grants
}

// createChangeSet: a change set is authorized on its stack; a template in
// S3 is read with the caller's credentials; a service role is passed to
// CloudFormation, which deploys with it. Without one, the stack's
// resources are created with the caller's credentials, and what they need
// depends on the template, which no plan reads: grant those separately.
func createChangeSet(a string, at target) []grant {
	grants := []grant{{action: a, resources: at.arn("cloudformation", "stack/"+at.str("StackName")+"/*", "StackName")}}
	if u := at.str("TemplateURL"); u != "" {
		grants = append(grants, grant{action: "s3:GetObject", resources: at.known(templateObjectARN(u), "TemplateURL"), global: true})
	}
	if role := at.str("RoleARN"); role != "" {
		grants = append(grants, grant{action: "iam:PassRole", resources: at.known(role, "RoleARN"),
			conditions: map[string]map[string][]string{"StringEquals": {"iam:PassedToService": {"cloudformation.amazonaws.com"}}}})
	}
	return grants
}

// templateObjectARN is the S3 object ARN of a template URL, in its
// virtual-hosted (bucket.s3.region.amazonaws.com/key) or path
// (s3.region.amazonaws.com/bucket/key) form; "*" when it is neither.
func templateObjectARN(u string) string {
	rest, ok := strings.CutPrefix(u, "https://")
	host, key, _ := strings.Cut(rest, "/")
	switch {
	case !ok || key == "":
		return "*"
	case strings.HasPrefix(host, "s3.") || strings.HasPrefix(host, "s3-"):
		return "arn:aws:s3:::" + key
	}
	bucket, _, _ := strings.Cut(host, ".s3")
	return "arn:aws:s3:::" + bucket + "/" + key
}

// createVolume: CreateVolume is authorized on the new volume and on the
// snapshot it is made from; the action tags the volume as it creates it,
// which IAM checks as CreateTags for that CreateVolume.
func createVolume(a string, at target) []grant {
	resources := at.arn("ec2", "volume/*")
	if snap := at.str("SnapshotId"); snap != "" {
		resources = append(resources, at.known(fmt.Sprintf("arn:aws:ec2:%s::snapshot/%s", at.region, snap), "SnapshotId")...)
	}
	return []grant{
		{action: a, resources: resources},
		{action: "ec2:CreateTags", resources: at.arn("ec2", "volume/*"),
			conditions: map[string]map[string][]string{"StringEquals": {"ec2:CreateAction": {"CreateVolume"}}}},
	}
}

// one grants an action on resources.
func one(action string, resources []string) []grant {
	return []grant{{action: action, resources: resources}}
}

// member grants an action on the ARN an input member holds.
func member(name string) func(string, target) []grant {
	return func(a string, at target) []grant { return one(a, at.known(at.str(name), name)) }
}

// str reads a string member of the call's input.
func (at target) str(name string) string {
	s, _ := at.input[name].(string)
	return s
}

// known returns arn, or every resource when one of the members it is made
// of is missing or known only during the run.
func (at target) known(arn string, members ...string) []string {
	for _, m := range members {
		v, isString := at.input[m].(string)
		if m == "EventBusName" && v == "" {
			continue // optional: the default bus
		}
		if !isString || v == "" || runbooks.HasTemplate(v) {
			return everything
		}
	}
	return []string{arn}
}

// arn builds arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE from members.
func (at target) arn(service, resource string, members ...string) []string {
	return at.known(fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, at.region, at.account, resource), members...)
}

// arnOrName takes a member that holds a name or an ARN.
func (at target) arnOrName(service, kind, name string) []string {
	if v := at.str(name); strings.HasPrefix(v, "arn:") {
		return at.known(v, name)
	}
	return at.arn(service, kind+at.str(name), name)
}
