package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzServe posts arbitrary bodies, targets and query strings to every
// service (so every protocol's decoder and every handler): the sandbox
// never panics and always answers with an HTTP status AWS would use.
func FuzzServe(f *testing.F) {
	f.Add("rds", "", "Action=DescribeDBInstances&Version=2014-10-31&MaxRecords=20", "")
	f.Add("rds", "", "Action=CreateDBInstanceReadReplica&DBInstanceIdentifier=r&SourceDBInstanceIdentifier=arn:aws:rds:x:1:db:y", "")
	f.Add("rds", "", "Action=CreateDBInstance&DBInstanceIdentifier=a&Engine=postgres&Tags.Tag.1.Key=k&Tags.Tag.1.Value=v", "")
	f.Add("dynamodb", "DynamoDB_20120810.CreateTable", `{"TableName":"t","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}]}`, "")
	f.Add("dynamodb", "DynamoDB_20120810.RestoreTableToPointInTime", `{"SourceTableArn":"arn:aws:dynamodb:a:1:table/t","TargetTableName":"u","RestoreDateTime":1e30}`, "")
	f.Add("sts", "", "Action=GetCallerIdentity", "X-Amz-Credential=a/b/c/d/e")
	sb := New(Options{TimeScale: 100})
	f.Fuzz(func(t *testing.T, svc, target, body, query string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		if strings.ContainsAny(query, " #\x00\r\n") {
			query = ""
		}
		req.URL.RawQuery = query
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/"+svc+"/aws4_request, SignedHeaders=host, Signature=00")
		req.Header.Set("X-Amz-Target", target)
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 403, 404, 500, 503:
		default:
			t.Fatalf("status %d for %s %q", rec.Code, svc, body)
		}
	})
}
