package sandbox

import (
	"strings"
)

// The resources each operation is authorized against, one table per
// service, as the Service Authorization Reference ("Actions, resources,
// and condition keys for <service>") lists them: an operation with a
// resource type is checked against that resource's ARN, computed from the
// request's input; an operation that is not in its service's table, or
// whose resource the request does not name, is checked against "*",
// which only a statement whose Resource matches everything allows. Where
// a request creates what it names and its id is not known before (an EC2
// volume, an ELB target group), the ARN ends in "*", as IAM's does.

// authzTables are the tables, by SigV4 signing name.
var authzTables = map[string]map[string]authzFunc{
	"arc-region-switch":    arcAuthz,
	"autoscaling":          autoScalingAuthz,
	"backup":               backupAuthz,
	"cloudformation":       cloudFormationAuthz,
	"dynamodb":             dynamoAuthz,
	"ec2":                  ec2Authz,
	"ecs":                  ecsAuthz,
	"elasticache":          elastiCacheAuthz,
	"elasticloadbalancing": elbAuthz,
	"events":               eventsAuthz,
	"fis":                  fisAuthz,
	"iam":                  iamAuthz,
	"lambda":               lambdaAuthz,
	"monitoring":           cloudWatchAuthz,
	"rds":                  rdsAuthz,
	"route53":              route53Authz,
	"s3":                   s3Authz,
	"ses":                  sesAuthz,
	"sns":                  snsAuthz,
	"ssm":                  ssmAuthz,
	"ssm-contacts":         contactsAuthz,
	"ssm-incidents":        incidentsAuthz,
	"sts":                  stsAuthz,
}

// stsAuthz: AssumeRole is authorized on the role it assumes.
var stsAuthz = map[string]authzFunc{
	"AssumeRole": func(r *authzReq) []check {
		if role := r.in("RoleArn"); strings.HasPrefix(role, "arn:") {
			return r.own(role)
		}
		return r.own("*")
	},
}

// rdsDB is a DB instance's ARN. RDS keeps identifiers in lower case, and
// its ARNs with them.
func (r *authzReq) rdsDB(ref string) string { return r.rdsRef("db:", ref) }

func (r *authzReq) rdsRef(kind, ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref
	}
	return r.ref("rds", kind, strings.ToLower(ref))
}

// rdsGlobal is a global cluster's ARN: global clusters have no Region.
func (r *authzReq) rdsGlobal(id string) string {
	if id == "" {
		id = "*"
	}
	return arn("rds", "", r.c.account(), "global-cluster:"+strings.ToLower(id))
}

// rdsTags is rds:AddTagsToResource on what a create tags: RDS authorizes
// tags given at creation as a separate AddTagsToResource.
func (r *authzReq) rdsTags(resource string) []check {
	return r.tagOnCreate("Tags", "rds:AddTagsToResource", resource)
}

var rdsAuthz = map[string]authzFunc{
	"CreateDBInstance": func(r *authzReq) []check {
		db := r.rdsDB(r.in("DBInstanceIdentifier"))
		return append(r.own(db), r.rdsTags(db)...)
	},
	"CreateDBInstanceReadReplica": func(r *authzReq) []check {
		db := r.rdsDB(r.in("DBInstanceIdentifier"))
		return append(r.own(db, r.rdsDB(r.in("SourceDBInstanceIdentifier"))), r.rdsTags(db)...)
	},
	"DescribeDBInstances": func(r *authzReq) []check { return r.own(r.rdsDB(r.in("DBInstanceIdentifier"))) },
	"PromoteReadReplica":  func(r *authzReq) []check { return r.own(r.rdsDB(r.in("DBInstanceIdentifier"))) },
	"DeleteDBInstance": func(r *authzReq) []check {
		if final := r.in("FinalDBSnapshotIdentifier"); final != "" {
			return r.own(r.rdsDB(r.in("DBInstanceIdentifier")), r.rdsRef("snapshot:", final))
		}
		return r.own(r.rdsDB(r.in("DBInstanceIdentifier")))
	},
	"CreateDBSnapshot": func(r *authzReq) []check {
		snap := r.rdsRef("snapshot:", r.in("DBSnapshotIdentifier"))
		return append(r.own(r.rdsDB(r.in("DBInstanceIdentifier")), snap), r.rdsTags(snap)...)
	},
	"DescribeDBSnapshots": func(r *authzReq) []check {
		if id := r.in("DBSnapshotIdentifier"); id != "" || r.in("DBInstanceIdentifier") == "" {
			return r.own(r.rdsRef("snapshot:", id))
		}
		return r.own(r.rdsDB(r.in("DBInstanceIdentifier")))
	},
	"RestoreDBInstanceFromDBSnapshot": func(r *authzReq) []check {
		db := r.rdsDB(r.in("DBInstanceIdentifier"))
		return append(r.own(db, r.rdsRef("snapshot:", r.in("DBSnapshotIdentifier"))), r.rdsTags(db)...)
	},
	"RestoreDBInstanceToPointInTime": func(r *authzReq) []check {
		db := r.rdsDB(r.in("TargetDBInstanceIdentifier"))
		checks := r.own(db)
		if src := r.in("SourceDBInstanceIdentifier"); src != "" {
			checks = append(checks, r.own(r.rdsDB(src))...)
		}
		return append(checks, r.rdsTags(db)...)
	},
	"CreateDBCluster": func(r *authzReq) []check {
		cluster := r.rdsRef("cluster:", r.in("DBClusterIdentifier"))
		checks := r.own(cluster)
		if g := r.in("GlobalClusterIdentifier"); g != "" {
			checks = append(checks, r.own(r.rdsGlobal(g))...)
		}
		return append(checks, r.rdsTags(cluster)...)
	},
	"DescribeDBClusters": func(r *authzReq) []check { return r.own(r.rdsRef("cluster:", r.in("DBClusterIdentifier"))) },
	"CreateGlobalCluster": func(r *authzReq) []check {
		checks := r.own(r.rdsGlobal(r.in("GlobalClusterIdentifier")))
		if src := r.in("SourceDBClusterIdentifier"); src != "" {
			checks = append(checks, r.own(r.rdsRef("cluster:", src))...)
		}
		return checks
	},
	"DescribeGlobalClusters": func(r *authzReq) []check { return r.own(r.rdsGlobal(r.in("GlobalClusterIdentifier"))) },
	"FailoverGlobalCluster": func(r *authzReq) []check {
		return r.own(r.rdsGlobal(r.in("GlobalClusterIdentifier")), r.rdsRef("cluster:", r.in("TargetDbClusterIdentifier")))
	},
	"AddTagsToResource":      rdsTagged,
	"RemoveTagsFromResource": rdsTagged,
	"ListTagsForResource":    rdsTagged,
}

// rdsTagged is a tag operation on the resource ResourceName names (an
// ARN, the only form RDS takes there).
func rdsTagged(r *authzReq) []check {
	if res := r.in("ResourceName"); strings.HasPrefix(res, "arn:") {
		return r.own(res)
	}
	return r.own("*")
}

// ec2ARN is the ARN of an EC2 resource by its id. Snapshots and images
// have no account in their ARNs.
func (r *authzReq) ec2ARN(id string) string {
	kind, _, _ := strings.Cut(id, "-")
	switch kind {
	case "i":
		return r.regional("ec2", "instance/"+id)
	case "vol":
		return r.regional("ec2", "volume/"+id)
	case "snap":
		return arn("ec2", r.c.region, "", "snapshot/"+id)
	case "ami":
		return arn("ec2", r.c.region, "", "image/"+id)
	}
	return r.regional("ec2", "*/"+id)
}

// ec2Tags is ec2:CreateTags on each kind of resource a create tags with
// its TagSpecification: EC2 authorizes tags given at creation as a
// CreateTags, with ec2:CreateAction naming the create.
func (r *authzReq) ec2Tags() []check {
	var out []check
	for _, spec := range list(r.c.input, "TagSpecification") {
		kind := str(asMap(spec), "ResourceType")
		res := r.regional("ec2", kind+"/*")
		if kind == "snapshot" || kind == "image" {
			res = arn("ec2", r.c.region, "", kind+"/*")
		}
		out = append(out, check{action: "ec2:CreateTags", resource: res,
			keys: map[string]string{"ec2:createaction": r.c.op}})
	}
	return out
}

var ec2Authz = map[string]authzFunc{
	"RunInstances": func(r *authzReq) []check {
		checks := r.own(r.regional("ec2", "instance/*"))
		if img := r.in("ImageId"); img != "" {
			checks = append(checks, r.own(r.ec2ARN(img))...)
		}
		return append(checks, r.ec2Tags()...)
	},
	"CreateVolume": func(r *authzReq) []check {
		checks := r.own(r.regional("ec2", "volume/*"))
		if snap := r.in("SnapshotId"); snap != "" {
			checks = append(checks, r.own(r.ec2ARN(snap))...)
		}
		return append(checks, r.ec2Tags()...)
	},
	"AttachVolume": func(r *authzReq) []check {
		return r.own(r.ec2ARN(r.in("InstanceId")), r.ec2ARN(r.in("VolumeId")))
	},
	"CreateSnapshot": func(r *authzReq) []check {
		return append(r.own(r.ec2ARN(r.in("VolumeId")), arn("ec2", r.c.region, "", "snapshot/*")), r.ec2Tags()...)
	},
	"CreateTags":         ec2TaggedResources,
	"StopInstances":      ec2NamedInstances,
	"StartInstances":     ec2NamedInstances,
	"TerminateInstances": ec2NamedInstances,
	"DeleteTags":         ec2TaggedResources,
}

// ec2NamedInstances is an operation on each instance InstanceId.N names.
func ec2NamedInstances(r *authzReq) []check {
	return r.ownEach(sortedIDs(ids(r.c.input, "InstanceId")), r.ec2ARN)
}

// ec2TaggedResources is a tag operation on each resource it names.
func ec2TaggedResources(r *authzReq) []check {
	return r.ownEach(sortedIDs(ids(r.c.input, "ResourceId")), r.ec2ARN)
}

// dynamoTable is a table's ARN; DynamoDB takes a table's name or ARN.
func (r *authzReq) dynamoTable(ref string) string { return r.ref("dynamodb", "table/", ref) }

// dynamoTableOp is an operation on the table its TableName names.
func dynamoTableOp(r *authzReq) []check { return r.own(r.dynamoTable(r.in("TableName"))) }

// dynamoRestoreWrites are what a point-in-time restore needs on its
// target table, besides RestoreTableToPointInTime on the source: DynamoDB
// writes the restored items as the caller.
var dynamoRestoreWrites = []string{"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem",
	"dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"}

var dynamoAuthz = map[string]authzFunc{
	"CreateTable": func(r *authzReq) []check {
		table := r.dynamoTable(r.in("TableName"))
		return append(r.own(table), r.tagOnCreate("Tags", "dynamodb:TagResource", table)...)
	},
	"DescribeTable":             dynamoTableOp,
	"UpdateContinuousBackups":   dynamoTableOp,
	"DescribeContinuousBackups": dynamoTableOp,
	"UpdateTimeToLive":          dynamoTableOp,
	"DescribeTimeToLive":        dynamoTableOp,
	"PutItem":                   dynamoTableOp,
	"GetItem":                   dynamoTableOp,
	"UpdateItem":                dynamoTableOp,
	"DeleteItem":                dynamoTableOp,
	"Query":                     dynamoTableOp,
	"Scan":                      dynamoTableOp,
	"RestoreTableToPointInTime": func(r *authzReq) []check {
		src := r.in("SourceTableArn")
		if src == "" {
			src = r.dynamoTable(r.in("SourceTableName"))
		}
		checks := r.own(src)
		target := r.dynamoTable(r.in("TargetTableName"))
		for _, action := range dynamoRestoreWrites {
			checks = append(checks, r.also(action, target)...)
		}
		return checks
	},
}

// s3Object is an object's ARN; S3 ARNs have no Region and no account.
func (r *authzReq) s3ARN(resource string) string { return "arn:aws:s3:::" + resource }

// s3ObjectARN is the ARN of the object the request names.
func (r *authzReq) s3ObjectARN() string { return r.s3ARN(r.in("Bucket") + "/" + r.in("Key")) }

// s3Versioned is action, or its version-specific form when the request
// names a version (s3:GetObjectVersion for GetObject with versionId).
func (r *authzReq) s3Versioned(action string) []check {
	if r.in("versionId") != "" {
		action += "Version"
	}
	return r.also(action, r.s3ObjectARN())
}

// s3Bypass adds s3:BypassGovernanceRetention when the request asks to
// bypass GOVERNANCE retention, as S3 requires.
func (r *authzReq) s3Bypass(checks []check) []check {
	if strings.EqualFold(r.in("BypassGovernanceRetention"), "true") {
		checks = append(checks, r.also("s3:BypassGovernanceRetention", r.s3ObjectARN())...)
	}
	return checks
}

var s3Authz = map[string]authzFunc{
	// Making a bucket with Object Lock also puts its lock configuration
	// and turns versioning on.
	"CreateBucket": func(r *authzReq) []check {
		bucket := r.s3ARN(r.in("Bucket"))
		checks := r.own(bucket)
		if strings.EqualFold(r.in("ObjectLockEnabledForBucket"), "true") {
			checks = append(checks, r.also("s3:PutBucketObjectLockConfiguration", bucket)...)
			checks = append(checks, r.also("s3:PutBucketVersioning", bucket)...)
		}
		return checks
	},
	// A put that sets retention needs s3:PutObjectRetention too.
	"PutObject": func(r *authzReq) []check {
		checks := r.own(r.s3ObjectARN())
		if r.in("ObjectLockMode") != "" || r.in("ObjectLockRetainUntilDate") != "" {
			checks = append(checks, r.also("s3:PutObjectRetention", r.s3ObjectARN())...)
		}
		return checks
	},
	// HEAD of an object is authorized as reading it.
	"HeadObject":   func(r *authzReq) []check { return r.s3Versioned("s3:GetObject") },
	"GetObject":    func(r *authzReq) []check { return r.s3Versioned("s3:GetObject") },
	"DeleteObject": func(r *authzReq) []check { return r.s3Bypass(r.s3Versioned("s3:DeleteObject")) },
	"ListObjectVersions": func(r *authzReq) []check {
		return r.also("s3:ListBucketVersions", r.s3ARN(r.in("Bucket")))
	},
	"PutObjectLockConfiguration": func(r *authzReq) []check {
		return r.also("s3:PutBucketObjectLockConfiguration", r.s3ARN(r.in("Bucket")))
	},
	"GetObjectLockConfiguration": func(r *authzReq) []check {
		return r.also("s3:GetBucketObjectLockConfiguration", r.s3ARN(r.in("Bucket")))
	},
	"PutObjectRetention": func(r *authzReq) []check { return r.s3Bypass(r.own(r.s3ObjectARN())) },
	"GetObjectRetention": func(r *authzReq) []check { return r.own(r.s3ObjectARN()) },
	"PutBucketReplication": func(r *authzReq) []check {
		checks := r.also("s3:PutReplicationConfiguration", r.s3ARN(r.in("Bucket")))
		return append(checks, r.passRole(str(r.c.document("ReplicationConfiguration"), "Role"), "s3")...)
	},
	"GetBucketReplication": func(r *authzReq) []check {
		return r.also("s3:GetReplicationConfiguration", r.s3ARN(r.in("Bucket")))
	},
	// Listing a bucket, and HEAD of one, are s3:ListBucket on the bucket:
	// ready for when the sandbox serves them.
	"ListObjectsV2": func(r *authzReq) []check { return r.also("s3:ListBucket", r.s3ARN(r.in("Bucket"))) },
	"HeadBucket":    func(r *authzReq) []check { return r.also("s3:ListBucket", r.s3ARN(r.in("Bucket"))) },
}

// route53ARN is a Route 53 resource's ARN (global: no Region, no
// account), from an id given bare or as a path ("/hostedzone/Z123").
func route53ARN(kind, id string) string {
	if id == "" {
		id = "*"
	}
	return "arn:aws:route53:::" + kind + "/" + id[strings.LastIndex(id, "/")+1:]
}

var route53Authz = map[string]authzFunc{
	"ChangeResourceRecordSets": func(r *authzReq) []check { return r.own(route53ARN("hostedzone", r.in("HostedZoneId"))) },
	"ListResourceRecordSets":   func(r *authzReq) []check { return r.own(route53ARN("hostedzone", r.in("HostedZoneId"))) },
	"GetChange":                func(r *authzReq) []check { return r.own(route53ARN("change", r.in("Id"))) },
	"GetHealthCheck":           func(r *authzReq) []check { return r.own(route53ARN("healthcheck", r.in("HealthCheckId"))) },
	"UpdateHealthCheck":        func(r *authzReq) []check { return r.own(route53ARN("healthcheck", r.in("HealthCheckId"))) },
	"GetHealthCheckStatus":     func(r *authzReq) []check { return r.own(route53ARN("healthcheck", r.in("HealthCheckId"))) },
}

// backupVault is a vault's ARN.
func (r *authzReq) backupVault(name string) string {
	if name == "" {
		name = "*"
	}
	return backupVaultARN(r.c.region, r.c.account(), name)
}

// backupPointAuthz is a recovery point operation: on the point's ARN as
// given (an RDS or EBS point's is its snapshot's).
func backupPointAuthz(r *authzReq) []check { return r.own(r.arnIn("RecoveryPointArn")) }

var backupAuthz = map[string]authzFunc{
	"CreateBackupVault": func(r *authzReq) []check { return r.own(r.backupVault(r.in("BackupVaultName"))) },
	"StartBackupJob": func(r *authzReq) []check {
		return append(r.own(r.backupVault(r.in("BackupVaultName"))), r.passRole(r.in("IamRoleArn"), "backup")...)
	},
	"ListRecoveryPointsByBackupVault": func(r *authzReq) []check { return r.own(r.backupVault(r.in("BackupVaultName"))) },
	"DescribeRecoveryPoint":           backupPointAuthz,
	"GetRecoveryPointRestoreMetadata": backupPointAuthz,
	"StartRestoreJob": func(r *authzReq) []check {
		return append(backupPointAuthz(r), r.passRole(r.in("IamRoleArn"), "backup")...)
	},
	"StartCopyJob": func(r *authzReq) []check {
		return append(backupPointAuthz(r), r.passRole(r.in("IamRoleArn"), "backup")...)
	},
}
