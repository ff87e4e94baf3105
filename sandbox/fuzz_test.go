package sandbox

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"
)

// FuzzServe posts arbitrary requests — service, method, path, target,
// body, query — to the sandbox, so every protocol's decoder and every
// handler: it never panics and always answers with an HTTP status AWS
// would use.
func FuzzServe(f *testing.F) {
	cborBody := string(cbor.Encode(cbor.Map{"planArn": cbor.String("arn:aws:arc-region-switch::1:plan/p:abcdef"),
		"targetRegion": cbor.String("us-west-2"), "action": cbor.String("activate")}))
	seeds := [][6]string{
		{"rds", "POST", "/", "", "Action=DescribeDBInstances&Version=2014-10-31&MaxRecords=20", ""},
		{"rds", "POST", "/", "", "Action=CreateDBInstanceReadReplica&DBInstanceIdentifier=r&SourceDBInstanceIdentifier=arn:aws:rds:x:1:db:y", ""},
		{"rds", "POST", "/", "", "Action=FailoverGlobalCluster&GlobalClusterIdentifier=g&TargetDbClusterIdentifier=c&AllowDataLoss=true", ""},
		{"rds", "POST", "/", "", "Action=RestoreDBInstanceToPointInTime&SourceDBInstanceIdentifier=a&TargetDBInstanceIdentifier=b&RestoreTime=2026-01-01T00:00:00Z", ""},
		{"dynamodb", "POST", "/", "DynamoDB_20120810.RestoreTableToPointInTime", `{"SourceTableArn":"arn:aws:dynamodb:a:1:table/t","TargetTableName":"u","RestoreDateTime":1e30}`, ""},
		{"ecs", "POST", "/", "AmazonEC2ContainerServiceV20141113.UpdateService", `{"cluster":"c","service":"s","desiredCount":-1}`, ""},
		{"ssm", "POST", "/", "AmazonSSM.PutParameter", `{"Name":"/a/b","Value":"v","Type":"String"}`, ""},
		{"monitoring", "POST", "/service/GraniteServiceVersion20100801/operation/DescribeAlarms", "", "\xa1jAlarmNames\x81aa", ""},
		{"arc-region-switch", "POST", "/service/ArcRegionSwitch/operation/StartPlanExecution", "", cborBody, ""},
		{"route53", "POST", "/2013-04-01/hostedzone/Z1/rrset", "", `<ChangeResourceRecordSetsRequest><ChangeBatch><Changes><Change><Action>UPSERT</Action><ResourceRecordSet><Name>a.</Name><Type>A</Type></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`, ""},
		{"route53", "GET", "/2013-04-01/hostedzone", "", "", "maxitems=0&marker=zz"},
		{"backup", "PUT", "/backup-jobs", "", `{"BackupVaultName":"v","ResourceArn":"arn:aws:ec2:us-east-1:1:volume/vol-1","IamRoleArn":"r"}`, ""},
		{"lambda", "PUT", "/2017-10-31/functions/f/concurrency", "", `{"ReservedConcurrentExecutions":1e99}`, ""},
		{"ec2", "POST", "/", "", "Action=AttachVolume&VolumeId=vol-1&InstanceId=i-1&Device=/dev/sdf&Filter.1.Name=x&Filter.1.Value.1=y", ""},
		{"s3", "PUT", "/bucket/key/with/slashes", "", "5;chunk-signature=a\r\nhello\r\n0\r\n\r\n", ""},
		{"s3", "PUT", "/bucket", "", `<ReplicationConfiguration><Role>r</Role><Rule><Status>Enabled</Status></Rule></ReplicationConfiguration>`, "replication"},
		{"sts", "POST", "/", "", "Action=GetCallerIdentity", "X-Amz-Credential=a/b/c/d/e"},
		// Credential scopes whose Region is no Region: presigned, since
		// the fuzzer signs every other request for us-east-1.
		{"sts", "POST", "/", "", "Action=GetCallerIdentity", "X-Amz-Credential=AKID%2F20261121%2F..%5Cx%2Fsts%2Faws4_request"},
		{"sts", "POST", "/", "", "Action=GetCallerIdentity", "X-Amz-Credential=AKID%2F20261121%2F" + strings.Repeat("a", 60<<10) + "%2Fsts%2Faws4_request"},
		// A gzip bomb: 64 MB of zeros in 64 KB of gzip.
		{"dynamodb", "POST", "/", "DynamoDB_20120810.DescribeTable", string(gzipBomb(f, 64<<20)), ""},
		{"monitoring", "POST", "/", "", "\x1f\x8b\x08\x00truncated", ""},
		// Items and expressions, on a table the first seed makes.
		{"dynamodb", "POST", "/", "DynamoDB_20120810.CreateTable", `{"TableName":"t","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}`, ""},
		{"dynamodb", "POST", "/", "DynamoDB_20120810.UpdateItem", `{"TableName":"t","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET #f = if_not_exists(#f, :z) + :o ADD s :s","ConditionExpression":"attribute_not_exists(pk) OR #f < :o","ExpressionAttributeNames":{"#f":"fence"},"ExpressionAttributeValues":{":z":{"N":"0"},":o":{"N":"1"},":s":{"SS":["x"]}},"ReturnValues":"ALL_NEW"}`, ""},
		{"dynamodb", "POST", "/", "DynamoDB_20120810.Query", `{"TableName":"t","KeyConditionExpression":"pk = :p AND sk BETWEEN :a AND :b","FilterExpression":"size(s) > :a","ExpressionAttributeValues":{":p":{"S":"a"},":a":{"N":"0"},":b":{"N":"9"}},"Limit":1,"ExclusiveStartKey":{"pk":{"S":"a"},"sk":{"N":"0"}}}`, ""},
		{"s3", "PUT", "/audit", "", "", ""},
		{"s3", "PUT", "/audit", "", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`, "object-lock"},
		{"s3", "PUT", "/audit/k", "", `<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>`, "retention&versionId=x"},
		{"s3", "DELETE", "/audit/k", "", "", "versionId=x"},
		{"s3", "GET", "/audit", "", "", "versions&max-keys=0&key-marker=k&version-id-marker=x"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	sb := New(Options{TimeScale: 100})
	methods := []string{"GET", "POST", "PUT", "HEAD", "DELETE"}
	f.Fuzz(func(t *testing.T, svc, method, path, target, body, query string) {
		// A path no HTTP server would parse never reaches the sandbox.
		if _, err := url.ParseRequestURI(path); err != nil || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " #?\x00\r\n\t") {
			path = "/"
		}
		if strings.ContainsAny(query, " #\x00\r\n\t") {
			query = ""
		}
		m := "POST"
		for _, candidate := range methods {
			if candidate == method {
				m = method
			}
		}
		req := httptest.NewRequest(m, path, strings.NewReader(body))
		req.URL.RawQuery = query
		if !strings.Contains(query, "X-Amz-Credential=") {
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/"+svc+"/aws4_request, SignedHeaders=host, Signature=00")
		}
		if strings.HasPrefix(body, "\x1f\x8b") {
			req.Header.Set("Content-Encoding", "gzip")
		}
		req.Header.Set("X-Amz-Target", target)
		if strings.Contains(body, "chunk-signature") {
			req.Header.Set("Content-Encoding", "aws-chunked")
		}
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 201, 204, 400, 403, 404, 405, 409, 500, 503:
		case 501: // a service or operation the sandbox does not simulate
		case 502, 413: // the simulated internet (/_sandbox/web/): an unresolvable host, a body too large
		default:
			t.Fatalf("status %d for %s %s %s %q", rec.Code, svc, m, path, body)
		}
	})
}

// FuzzRecording reads arbitrary recordings and rebuilds a sandbox from
// those that parse: a corrupt recording is an error, never a panic, and
// nothing in one makes the rebuild wait (a replayed request meets no
// latency or timeout fault).
func FuzzRecording(f *testing.F) {
	header := `{"kind":"sandbox","format":1,"account":"123456789012","time_scale":60,"start":"2026-03-01T12:00:00Z"}` + "\n"
	for _, records := range []string{
		"",
		`{"kind":"request","sim_time":"2026-03-01T12:00:00Z","region":"eu-west-2","service":"ssm","operation":"PutParameter","request_id":"r1","input":{"Name":"/a","Value":"v","Type":"String"}}` + "\n",
		`{"kind":"request","sim_time":"2026-03-01T12:00:01Z","region":"us-east-1","service":"s3","operation":"PutObject","request_id":"r2","input":{"Bucket":"b","Key":"k"},"binary":{"Body":"AAEC"}}` + "\n",
		`{"kind":"fault","sim_time":"2026-03-01T12:00:00Z","fault":{"latency":{"ms":600000}}}` + "\n" +
			`{"kind":"fault","sim_time":"2026-03-01T12:00:00Z","fault":{"outage":{"region":"us-east-1","mode":"timeouts"}}}` + "\n" +
			`{"kind":"request","sim_time":"2026-03-01T12:00:02Z","region":"us-east-1","service":"ecs","operation":"CreateCluster","request_id":"r3","input":{"clusterName":"c"}}` + "\n",
		`{"kind":"clock","sim_time":"2026-03-01T13:00:00Z","advance":"1h"}` + "\n" + `{"kind":"mark","sim_time":"2026-03-01T12:00:00Z","name":"run.started"}` + "\n",
		`{"kind":"delivery","sim_time":"2026-03-01T12:00:00Z","delivery":{"method":"POST","host":"h","path":"/","status":200,"body":"x"}}` + "\n" +
			`{"kind":"resumed","sim_time":"2026-03-01T12:00:00Z","generation":1}` + "\n" + `{"kind":"requ`,
	} {
		f.Add([]byte(header + records))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := ParseRecording("fuzz.jsonl", data)
		if err != nil {
			return
		}
		if len(rec.Records) > 200 {
			return // long recordings only repeat what short ones exercise
		}
		sb, restored, err := rec.Rebuild()
		if err == nil && (sb == nil || restored.Requests > len(rec.Records)) {
			t.Fatalf("a rebuild of %d records claims %d requests", len(rec.Records), restored.Requests)
		}
	})
}
