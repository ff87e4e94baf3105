package sandbox

import (
	"errors"
	"fmt"
	"github.com/drpilot/drpilot/internal/moto"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// startMoto serves moto_server for the cross-check, or skips saying why.
func startMoto(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("moto cross-check: skipped in -short")
	}
	return moto.Start(t, "the sandbox's item and Object Lock semantics are not compared with an independent emulator")
}

// crossCheckItems runs the lease pattern and returns what each step
// answered: an error code, or a value read back.
func crossCheckItems(t *testing.T, client *dynamodb.Client) []string {
	t.Helper()
	var out []string
	code := func(err error) string {
		var ccf *ddbtypes.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return "ConditionalCheckFailed item=" + fmt.Sprint(ccf.Item != nil)
		}
		if err != nil {
			return apiCode(err)
		}
		return "ok"
	}
	for range 2 {
		_, err := client.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("locks"),
			Item:                                map[string]av{"id": avS("l"), "expires": avN(100)},
			ConditionExpression:                 aws.String("attribute_not_exists(id)"),
			ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld})
		out = append(out, "put: "+code(err))
	}
	for _, now := range []int64{50, 150, 300} {
		res, err := client.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("locks"), Key: map[string]av{"id": avS("l")},
			UpdateExpression:          aws.String("SET fence = if_not_exists(fence, :zero) + :one, expires = :until"),
			ConditionExpression:       aws.String("expires < :now"),
			ExpressionAttributeValues: map[string]av{":zero": avN(0), ":one": avN(1), ":until": avN(now + 100), ":now": avN(now)},
			ReturnValues:              ddbtypes.ReturnValueUpdatedNew})
		fence := ""
		if err == nil {
			fence = " fence=" + res.Attributes["fence"].(*ddbtypes.AttributeValueMemberN).Value
		}
		out = append(out, fmt.Sprintf("take over at %d: %s%s", now, code(err), fence))
	}
	_, err := client.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("locks"), Key: map[string]av{"id": avS("l")},
		UpdateExpression: aws.String("SET a = :a"), ExpressionAttributeValues: map[string]av{":a": avN(1), ":unused": avN(2)}})
	out = append(out, "unused value: "+code(err))
	_, err = client.DeleteItem(ctx(t), &dynamodb.DeleteItemInput{TableName: aws.String("locks"), Key: map[string]av{"id": avS("l")},
		ConditionExpression: aws.String("fence = :f"), ExpressionAttributeValues: map[string]av{":f": avN(1)}})
	out = append(out, "release with a stale fence: "+code(err))
	return out
}

func crossCheckObjectLock(t *testing.T, client *s3.Client) []string {
	t.Helper()
	var out []string
	_, err := client.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("audit-x"), ObjectLockEnabledForBucket: aws.Bool(true)})
	out = append(out, "create: "+apiCode(err))
	_, err = client.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("plain-x")})
	out = append(out, "create plain: "+apiCode(err))
	_, err = client.GetObjectLockConfiguration(ctx(t), &s3.GetObjectLockConfigurationInput{Bucket: aws.String("plain-x")})
	out = append(out, "lock config of plain: "+apiCode(err))
	v, err := client.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: aws.String("audit-x")})
	if err == nil {
		out = append(out, "versioning: "+string(v.Status))
	}
	// moto takes only Content-MD5 or x-amz-sdk-checksum-algorithm as the
	// checksum an Object Lock put needs, not the x-amz-checksum-crc32
	// header alone that the SDK sends over HTTP (which S3 takes, and the
	// sandbox too): the algorithm is named so that both see one.
	put, err := client.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("audit-x"), Key: aws.String("k"), Body: strings.NewReader("x"),
		ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc32, ObjectLockMode: s3types.ObjectLockModeCompliance,
		ObjectLockRetainUntilDate: aws.Time(time.Now().Add(30 * 24 * time.Hour))})
	out = append(out, "put: "+apiCode(err))
	if err != nil {
		return out
	}
	_, err = client.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("audit-x"), Key: aws.String("k"), VersionId: put.VersionId})
	out = append(out, "delete version: "+apiCode(err))
	del, err := client.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("audit-x"), Key: aws.String("k")})
	out = append(out, fmt.Sprintf("delete marker: %s %v", apiCode(err), err == nil && aws.ToBool(del.DeleteMarker)))
	h, err := client.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("audit-x"), Key: aws.String("k"), VersionId: put.VersionId})
	if err == nil {
		out = append(out, "head version: "+string(h.ObjectLockMode))
	}
	return out
}

// TestCrossCheckMoto: the lease pattern and the audit bucket's Object Lock
// answer the same through the SDK from the sandbox and from moto_server.
func TestCrossCheckMoto(t *testing.T) {
	t.Parallel()
	motoURL := startMoto(t)
	_, url := startSandbox(t, Options{TimeScale: 3000})
	results := map[string][2][]string{}
	for i, endpoint := range []string{url, motoURL} {
		ddb := dynamodb.NewFromConfig(awsConfig(t, endpoint, "us-east-1"))
		createTable(t, ddb, "locks")
		items := crossCheckItems(t, ddb)
		lock := crossCheckObjectLock(t, s3Client(t, endpoint, "us-east-1"))
		r := results["items"]
		r[i] = items
		results["items"] = r
		r = results["lock"]
		r[i] = lock
		results["lock"] = r
		r = results["listings"]
		r[i] = crossCheckListings(t, endpoint)
		results["listings"] = r
	}
	for what, r := range results {
		if strings.Join(r[0], "\n") != strings.Join(r[1], "\n") {
			t.Errorf("%s: the sandbox and moto differ:\nsandbox:\n  %s\nmoto:\n  %s", what, strings.Join(r[0], "\n  "), strings.Join(r[1], "\n  "))
		}
	}
}

// crossCheckListings: the listings a person runs by hand (aws s3 ls, the
// tables, a parameter tree) page and roll up alike.
func crossCheckListings(t *testing.T, endpoint string) []string {
	var out []string
	s3c := s3Client(t, endpoint, "us-east-1")
	for _, b := range []string{"listing-a", "listing-b"} {
		if _, err := s3c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"top.txt", "logs/1", "logs/2"} {
		if _, err := s3c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("listing-a"), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	buckets, err := s3c.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	if err == nil {
		for _, b := range buckets.Buckets {
			if strings.HasPrefix(aws.ToString(b.Name), "listing-") {
				out = append(out, "bucket "+aws.ToString(b.Name))
			}
		}
	}
	page, err := s3c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("listing-a"), Delimiter: aws.String("/")})
	out = append(out, "list: "+apiCode(err))
	if err == nil {
		for _, o := range page.Contents {
			out = append(out, "key "+aws.ToString(o.Key))
		}
		for _, p := range page.CommonPrefixes {
			out = append(out, "prefix "+aws.ToString(p.Prefix))
		}
	}
	_, err = s3c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("listing-none")})
	out = append(out, "missing bucket: "+apiCode(err))
	tables, err := dynamodb.NewFromConfig(awsConfig(t, endpoint, "us-east-1")).ListTables(ctx(t), &dynamodb.ListTablesInput{})
	out = append(out, fmt.Sprintf("tables: %s %v", apiCode(err), tables != nil && len(tables.TableNames) > 0))
	return out
}
