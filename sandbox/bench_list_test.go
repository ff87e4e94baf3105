package sandbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// listCall is one list request, as a client puts it on the wire.
type listCall struct {
	name, service, method, path, body string
	header                            map[string]string
}

// BenchmarkSandboxListHundred measures the sandbox answering list calls
// over 100 resources, one per wire protocol that lists: ec2query
// (DescribeInstances), query (DescribeDBInstances) and JSON
// (ListSecrets). The requests are plain HTTP with a SigV4-shaped header,
// replayed as built, so the figure is the sandbox's work and loopback
// HTTP, not a client's signing or parsing. Goal: at least 2,000 req/s.
func BenchmarkSandboxListHundred(b *testing.B) {
	sb := New(Options{})
	endpoint := startBenchServer(b, sb)
	seedHundred(b, benchConfig(b, endpoint))
	calls := []listCall{
		{name: "ec2-DescribeInstances", service: "ec2", method: "POST", path: "/",
			body:   "Action=DescribeInstances&Version=2016-11-15",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
		{name: "rds-DescribeDBInstances", service: "rds", method: "POST", path: "/",
			body:   "Action=DescribeDBInstances&Version=2014-10-31&MaxRecords=100",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
		{name: "secretsmanager-ListSecrets", service: "secretsmanager", method: "POST", path: "/",
			body: `{"MaxResults":100}`,
			header: map[string]string{"Content-Type": "application/x-amz-json-1.1",
				"X-Amz-Target": "secretsmanager.ListSecrets"}},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, c := range calls {
		b.Run(c.name, func(b *testing.B) {
			if n := listedCount(b, client, endpoint, c); n < 100 {
				b.Fatalf("%s lists %d resources, want at least 100", c.name, n)
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := doList(client, endpoint, c); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// doList sends one list call and returns its body.
func doList(client *http.Client, endpoint string, c listCall) (string, error) {
	req, err := http.NewRequest(c.method, endpoint+c.path, strings.NewReader(c.body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDSANDBOX/20260301/us-west-2/"+c.service+
		"/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000")
	req.Header.Set("X-Amz-Date", "20260301T120000Z")
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: HTTP %d: %.300s", c.name, resp.StatusCode, body)
	}
	return string(body), err
}

// listedCount is how many resources one answer lists, counted by a
// member every listed resource has.
func listedCount(b *testing.B, client *http.Client, endpoint string, c listCall) int {
	body, err := doList(client, endpoint, c)
	if err != nil {
		b.Fatal(err)
	}
	for _, marker := range []string{"<instanceId>", "<DBInstanceIdentifier>", `"ARN"`} {
		if n := strings.Count(body, marker); n > 0 {
			return n
		}
	}
	return 0
}

// seedHundred makes 100 instances, DB instances and secrets in us-west-2
// through the SDK.
func seedHundred(b *testing.B, cfg aws.Config) {
	ctx := context.Background()
	for range 2 { // the sandbox launches at most 50 at a time
		if _, err := ec2.NewFromConfig(cfg).RunInstances(ctx, &ec2.RunInstancesInput{
			ImageId: aws.String("ami-0abcdef1234567890"), MinCount: aws.Int32(50), MaxCount: aws.Int32(50)}); err != nil {
			b.Fatal(err)
		}
	}
	db, sm := rds.NewFromConfig(cfg), secretsmanager.NewFromConfig(cfg)
	for i := range 100 {
		if _, err := db.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(fmt.Sprintf("db-%03d", i)),
			DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres")}); err != nil {
			b.Fatal(err)
		}
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(fmt.Sprintf("app/secret-%03d", i)),
			SecretString: aws.String("s")}); err != nil {
			b.Fatal(err)
		}
	}
}
