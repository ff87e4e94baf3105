package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// web sends one request to the simulated internet and returns the status
// and body.
func web(t *testing.T, base, method, hostPath, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), method, base+"/_sandbox/web/"+hostPath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// applySites loads a scenario of [[sites]] into a running sandbox.
func applySites(t *testing.T, sb *Sandbox, src string) {
	t.Helper()
	sc, err := ParseScenario("sites.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Apply(sc); err != nil {
		t.Fatal(err)
	}
}

func upsert(t *testing.T, client *route53.Client, zone string, rrs r53types.ResourceRecordSet) {
	t.Helper()
	_, err := client.ChangeResourceRecordSets(ctx(t), &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(zone),
		ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{{Action: r53types.ChangeActionUpsert, ResourceRecordSet: &rrs}}}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWebFailoverFollowsRoute53: a failover record pair answers the
// PRIMARY while its health check is healthy and the SECONDARY once the
// primary Region is out; with both Regions out, the PRIMARY's dead load
// balancer answers 503. The site's body reads the serving Region's SSM.
func TestWebFailoverFollowsRoute53(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{TimeScale: 60})
	applySites(t, sb, `
[[sites]]
host = "shop.example.com"
path = "/healthz"
body = "region={region} checkout={param:/shop/checkout-mode}"
`)
	client := route53.NewFromConfig(awsConfig(t, url, "us-east-1"))
	zone := newZone(t, client, "example.com")
	hc, err := client.CreateHealthCheck(ctx(t), &route53.CreateHealthCheckInput{CallerReference: aws.String("shop-use1"),
		HealthCheckConfig: &r53types.HealthCheckConfig{Type: r53types.HealthCheckTypeHttps, ResourcePath: aws.String("/healthz"),
			FullyQualifiedDomainName: aws.String("shop-use1-1234.us-east-1.elb.amazonaws.com")}})
	if err != nil {
		t.Fatal(err)
	}
	upsert(t, client, zone, r53types.ResourceRecordSet{Name: aws.String("shop.example.com"), Type: r53types.RRTypeA,
		SetIdentifier: aws.String("primary"), Failover: r53types.ResourceRecordSetFailoverPrimary, HealthCheckId: hc.HealthCheck.Id,
		AliasTarget: &r53types.AliasTarget{HostedZoneId: aws.String("Z35SXDOTRQ7X7K"), DNSName: aws.String("dualstack.shop-use1-1234.us-east-1.elb.amazonaws.com")}})
	upsert(t, client, zone, r53types.ResourceRecordSet{Name: aws.String("shop.example.com"), Type: r53types.RRTypeA,
		SetIdentifier: aws.String("secondary"), Failover: r53types.ResourceRecordSetFailoverSecondary,
		AliasTarget: &r53types.AliasTarget{HostedZoneId: aws.String("Z1H1FL5HABSF5"), EvaluateTargetHealth: true,
			DNSName: aws.String("dualstack.shop-usw2-5678.us-west-2.elb.amazonaws.com")}})
	for region, mode := range map[string]string{"us-east-1": "open", "us-west-2": "maintenance"} {
		if _, err := ssm.NewFromConfig(awsConfig(t, url, region)).PutParameter(ctx(t), &ssm.PutParameterInput{
			Name: aws.String("/shop/checkout-mode"), Value: aws.String(mode), Type: "String"}); err != nil {
			t.Fatal(err)
		}
	}
	if code, body := web(t, url, "GET", "shop.example.com/healthz", "", ""); code != 200 || body != "region=us-east-1 checkout=open" {
		t.Fatalf("before the outage: %d %q", code, body)
	}
	// Another path of the host has no site: the Region's default application.
	if code, body := web(t, url, "GET", "shop.example.com/cart", "", ""); code != 200 || !strings.Contains(body, `"region": "us-east-1"`) {
		t.Fatalf("default application: %d %s", code, body)
	}
	sb.faults.apply(Fault{Outage: &Outage{Region: "us-east-1"}})
	if code, body := web(t, url, "GET", "shop.example.com/healthz", "", ""); code != 200 || body != "region=us-west-2 checkout=maintenance" {
		t.Fatalf("primary out: %d %q", code, body)
	}
	sb.faults.apply(Fault{Outage: &Outage{Region: "us-west-2"}})
	code, body := web(t, url, "GET", "shop.example.com/healthz", "", "")
	if code != 503 || !strings.Contains(body, "us-east-1 is out") || !strings.Contains(body, "both unhealthy") {
		t.Fatalf("both out: %d %s", code, body)
	}
	entries, _ := sb.journal.Entries()
	last := entries[len(entries)-1]
	if last.Service != "web" || last.Operation != "GET" || last.URL != "https://shop.example.com/healthz" || last.Status != 503 || last.Fault != "outage" {
		t.Fatalf("journal: %+v", last)
	}
}

// TestWebSiteReadsTheDatabaseRole: a body that maps the role of the
// database an SSM parameter names goes ro → down → rw as the read replica
// is promoted, and reads unknown for an endpoint the sandbox lacks.
func TestWebSiteReadsTheDatabaseRole(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{TimeScale: 60})
	applySites(t, sb, `
[[sites]]
host = "api.booking.example.com"
body = "region={region} db={db-role:{param:/booking/db-host}|writer=rw,reader=ro}"
`)
	src := rds.NewFromConfig(awsConfig(t, url, "ap-southeast-2"))
	if _, err := src.CreateDBInstance(ctx(t), &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("booking-db"),
		DBInstanceClass: aws.String("db.r6g.large"), Engine: aws.String("postgres"), AllocatedStorage: aws.Int32(100)}); err != nil {
		t.Fatal(err)
	}
	sb.clock.Advance(15 * time.Minute)
	dst := rds.NewFromConfig(awsConfig(t, url, "ap-southeast-4"))
	if _, err := dst.CreateDBInstanceReadReplica(ctx(t), &rds.CreateDBInstanceReadReplicaInput{DBInstanceIdentifier: aws.String("booking-db-apse4"),
		SourceDBInstanceIdentifier: aws.String("arn:aws:rds:ap-southeast-2:123456789012:db:booking-db")}); err != nil {
		t.Fatal(err)
	}
	sb.clock.Advance(15 * time.Minute)
	out, err := dst.DescribeDBInstances(ctx(t), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("booking-db-apse4")})
	if err != nil {
		t.Fatal(err)
	}
	param := ssm.NewFromConfig(awsConfig(t, url, "ap-southeast-4"))
	put := func(v string) {
		if _, err := param.PutParameter(ctx(t), &ssm.PutParameterInput{Name: aws.String("/booking/db-host"), Value: aws.String(v),
			Type: "String", Overwrite: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}
	put(aws.ToString(out.DBInstances[0].Endpoint.Address))
	client := route53.NewFromConfig(awsConfig(t, url, "us-east-1"))
	zone := newZone(t, client, "booking.example.com")
	upsert(t, client, zone, r53types.ResourceRecordSet{Name: aws.String("api.booking.example.com"), Type: r53types.RRTypeCname,
		TTL: aws.Int64(60), ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("booking-apse4-1122.ap-southeast-4.elb.amazonaws.com")}}})
	want := func(stage, body string) {
		t.Helper()
		if code, got := web(t, url, "GET", "api.booking.example.com/healthz", "", ""); code != 200 || got != body {
			t.Fatalf("%s: %d %q, want %q", stage, code, got, body)
		}
	}
	want("replica", "region=ap-southeast-4 db=ro")
	if _, err := dst.PromoteReadReplica(ctx(t), &rds.PromoteReadReplicaInput{DBInstanceIdentifier: aws.String("booking-db-apse4")}); err != nil {
		t.Fatal(err)
	}
	want("promoting", "region=ap-southeast-4 db=down")
	sb.clock.Advance(6 * time.Minute)
	want("promoted", "region=ap-southeast-4 db=rw")
	put("booking-db-apse4.example.net:5432")
	want("not an endpoint of the sandbox", "region=ap-southeast-4 db=unknown")
}

// storesGlobalDatabase stages an Aurora global database: the writer in
// Tokyo, the secondary in Osaka, as the store-region-failover scenario has.
const storesGlobalDatabase = `
[[create]]
service = "rds"
region = "ap-northeast-1"
operation = "CreateDBCluster"
input = { DBClusterIdentifier = "stores-aurora-apne1", Engine = "aurora-postgresql" }
[[create]]
service = "rds"
region = "ap-northeast-1"
operation = "CreateGlobalCluster"
input = { GlobalClusterIdentifier = "stores-global", SourceDBClusterIdentifier = "arn:aws:rds:ap-northeast-1:123456789012:cluster:stores-aurora-apne1" }
[[create]]
service = "rds"
region = "ap-northeast-3"
operation = "CreateDBCluster"
input = { DBClusterIdentifier = "stores-aurora-apne3", Engine = "aurora-postgresql", GlobalClusterIdentifier = "stores-global" }
`

// TestWebGlobalDatabaseRole: a global database's writer endpoint (as a
// scenario writes it, whatever its random part) follows the writer: down
// with the primary Region out, writer again once a failover moves it.
func TestWebGlobalDatabaseRole(t *testing.T) {
	t.Parallel()
	sc, err := ParseScenario("global.toml", []byte(storesGlobalDatabase+`
[[faults]]
outage = { region = "ap-northeast-1" }
`))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := NewFromScenario(sc, 60)
	if err != nil {
		t.Fatal(err)
	}
	role := func(endpoint string) string {
		sb.mu.Lock()
		defer sb.mu.Unlock()
		return sb.dbRole(endpoint, sb.clock.Now())
	}
	const global = "stores-global.global-3xk2p9q7rz1m.global.rds.amazonaws.com"
	const apne3 = "stores-aurora-apne3.cluster-c0sandbox0.ap-northeast-3.rds.amazonaws.com"
	if g, c, ro := role(global), role(apne3), role("stores-aurora-apne3.cluster-ro-c0sandbox0.ap-northeast-3.rds.amazonaws.com"); g != "down" || c != "reader" || ro != "reader" {
		t.Fatalf("Tokyo out: global %s, Osaka cluster %s, Osaka reader %s", g, c, ro)
	}
	c := &call{sb: sb, region: "ap-northeast-3", now: sb.clock.Now(), input: map[string]any{"GlobalClusterIdentifier": "stores-global",
		"TargetDbClusterIdentifier": "arn:aws:rds:ap-northeast-3:123456789012:cluster:stores-aurora-apne3", "AllowDataLoss": "true"}}
	sb.mu.Lock()
	_, ferr := rdsFailoverGlobalCluster(c)
	sb.mu.Unlock()
	if ferr != nil {
		t.Fatal(ferr)
	}
	sb.clock.Advance(3 * time.Minute)
	if g, c := role(global), role(apne3); g != "writer" || c != "writer" {
		t.Fatalf("after the failover: global %s, Osaka cluster %s", g, c)
	}
}

// TestWebUnreachableHostsAndWebhooks: a GET of a host the sandbox cannot
// resolve is a 502 that says why; a POST to a host outside its DNS is a
// webhook delivery, listed at /_sandbox/webhooks (long bodies cut), unless
// a site makes that host fail.
func TestWebUnreachableHostsAndWebhooks(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	applySites(t, sb, `
[[sites]]
host = "hooks.example.jp"
status = 500
body = "internal error"
`)
	client := route53.NewFromConfig(awsConfig(t, url, "us-east-1"))
	zone := newZone(t, client, "example.org")
	upsert(t, client, zone, r53types.ResourceRecordSet{Name: aws.String("www.example.org"), Type: r53types.RRTypeA,
		TTL: aws.Int64(60), ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("203.0.113.10")}}})
	for hostPath, code := range map[string]string{"nowhere.example.net/": "NoHostedZone", "api.example.org/x": "NoRecord", "www.example.org/": "NoRegion"} {
		status, body := web(t, url, "GET", hostPath, "", "")
		if status != 502 || !strings.Contains(body, `"code": "`+code+`"`) {
			t.Errorf("GET %s: %d %s", hostPath, status, body)
		}
	}
	if status, body := web(t, url, "POST", "hooks.example.com/services/shop/dr?x=1", "application/json", `{"text":"failover started"}`); status != 200 || body != "ok" {
		t.Fatalf("webhook: %d %q", status, body)
	}
	big := strings.Repeat("é", 40<<10) // 80 KiB
	if status, _ := web(t, url, "POST", "hooks.example.jp/services/retail/dr", "text/plain", big); status != 500 {
		t.Fatalf("failing webhook host: %d", status)
	}
	if status, _ := web(t, url, "POST", "www.example.org/form", "", "x"); status != 502 {
		t.Fatalf("POST to a host with a record but no Region: %d", status)
	}
	resp, err := http.Get(url + "/_sandbox/webhooks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Total      int        `json:"total"`
		Deliveries []Delivery `json:"deliveries"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if list.Total != 2 || len(list.Deliveries) != 2 {
		t.Fatalf("deliveries: %+v", list)
	}
	d0, d1 := list.Deliveries[0], list.Deliveries[1]
	if d0.Host != "hooks.example.com" || d0.Path != "/services/shop/dr?x=1" || d0.ContentType != "application/json" ||
		d0.Body != `{"text":"failover started"}` || d0.Status != 200 || d0.Truncated {
		t.Errorf("first delivery: %+v", d0)
	}
	if d1.Status != 500 || !d1.Truncated || d1.Size != len(big) || len(d1.Body) > maxDeliveryBody+3 {
		t.Errorf("second delivery: status %d truncated %v size %d kept %d", d1.Status, d1.Truncated, d1.Size, len(d1.Body))
	}
}

// TestSitesScenarioErrorsArePositioned: a bad [[sites]] entry is refused
// at parse time with its file:line:col.
func TestSitesScenarioErrorsArePositioned(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, src, want string }{
		{"unknown function", "\n[[sites]]\nhost = \"a.example.com\"\nbody = \"region={region} db={db-rol:x}\"\n",
			`bad.toml:4:28: sites[0]: body: at character 20: unknown function "db-rol"`},
		{"nested unknown", "[[sites]]\nhost = \"a.example.com\"\nbody = \"{db-role:{parm:/x}}\"\n",
			`bad.toml:3:18: sites[0]: body: at character 10: unknown function "parm"`},
		{"unclosed", "[[sites]]\nhost = \"a.example.com\"\nbody = \"{param:/x\"\n", `bad.toml:3:9: sites[0]: body: at character 1: {param has no closing }`},
		{"no argument", "[[sites]]\nhost = \"a.example.com\"\nbody = \"{param}\"\n", `sites[0]: body: at character 1: {param:...} needs an argument`},
		{"bad map", "[[sites]]\nhost = \"a.example.com\"\nbody = \"{region|east}\"\n", `value map entry "east" is not from=to`},
		{"bad status", "[[sites]]\nhost = \"a.example.com\"\n\n[[sites]]\nhost = \"b.example.com\"\n  status = 99\n",
			`bad.toml:6:3: sites[1]: status: status 99 is not an HTTP status`},
		{"bad host", "[[sites]]\nhost = \"https://a.example.com/x\"\n", `bad.toml:2:1: sites[0]: host: host "https://a.example.com/x" is not a host name`},
		{"no host", "[[sites]]\nbody = \"x\"\n", `bad.toml:1:1: sites[0]: host: host is required`},
		{"bad path", "[[sites]]\nhost = \"a.example.com\"\npath = \"healthz\"\n", `bad.toml:3:1: sites[0]: path: path "healthz" must start with /`},
		{"duplicate", "[[sites]]\nhost = \"a.example.com\"\n[[sites]]\nhost = \"A.example.com.\"\n", `bad.toml:4:1: sites[1]: host: sites[0] already serves every path of a.example.com`},
		{"unknown key", "[[sites]]\nhost = \"a.example.com\"\n[[sites]]\nhost = \"b.example.com\"\n  stauts = 500\n", `bad.toml:5:3: unknown key "stauts" in [[sites]]`},
		{"too deep", "[[sites]]\nhost = \"a.example.com\"\nbody = \"" + strings.Repeat("{param:", 9) + strings.Repeat("}", 9) + "\"\n", `templates nest at most 8 deep`},
	}
	for _, tc := range cases {
		_, err := ParseScenario("bad.toml", []byte(tc.src))
		var se *ScenarioError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestTemplate(t *testing.T) {
	t.Parallel()
	fns := func(fn, arg string) string {
		switch fn {
		case "region":
			return "eu-central-1"
		case "param":
			return map[string]string{"/db": "db.example", "/n": "{region}"}[arg]
		}
		return "role(" + arg + ")"
	}
	for src, want := range map[string]string{
		"region={region} db={db-role:{param:/db}|role(db.example)=ok}": "region=eu-central-1 db=ok",
		`{{"region":"{region}"}`:                  `{"region":"eu-central-1"}`,
		"{param:/n} {param:/none}|":               "{region} |", // values are not templates
		"{region|eu-central-1=fra,us-east-1=iad}": "fra",
		"{db-role:a{region}b|x=y}":                "role(aeu-central-1b)",
		"a } b":                                   "a } b",
	} {
		tp, err := parseTemplate(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got := tp.eval(fns); got != want {
			t.Errorf("%s = %q, want %q", src, got, want)
		}
	}
}

// FuzzTemplate: parsing and evaluating any body never panics, and what
// parses evaluates within the output bound.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"region={region} db={db-role:{param:/x}|writer=rw,reader=ro}", "{{", "{", "}", "{param:{param:{param:}}}", "{region|=,=}", "{x:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tp, err := parseTemplate(src)
		if err != nil {
			var te *TemplateError
			if !errors.As(err, &te) || te.Offset < 0 || te.Offset > len(src) {
				t.Fatalf("%q: %v", src, err)
			}
			return
		}
		if out := tp.eval(func(fn, arg string) string { return arg + arg }); len(out) > maxTemplateOutput {
			t.Fatalf("%q expands to %d bytes", src, len(out))
		}
	})
}

// FuzzScenarioSites: any scenario source with [[sites]] parses or is
// refused with a ScenarioError, never a panic.
func FuzzScenarioSites(f *testing.F) {
	f.Add("[[sites]]\nhost = \"a.example.com\"\nbody = \"{region} {db-role:{param:/x}|writer=rw}\"\n")
	f.Add("[[sites]]\nhost = \"a.example.com\"\npath = \"/x\"\nstatus = 503\nbody = '''\n{{\"a\": \"{param:/p}\"}\n'''\n")
	f.Add("[[sites]]\nhost = 3\n")
	f.Add("sites = [{ host = \"a.b\", body = \"{nope}\" }]\n")
	f.Fuzz(func(t *testing.T, src string) {
		if _, err := ParseScenario("f.toml", []byte(src)); err != nil {
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("%q: %T %v", src, err, err)
			}
		}
	})
}

// TestWebScenarioDeclaresTheInternet: a scenario's zone, health checks,
// failover records and site — as a shipped scenario writes them — give
// the answer its runbook's http.probe expects once the database fails
// over; the Osaka record answers from the start, Tokyo being out.
func TestWebScenarioDeclaresTheInternet(t *testing.T) {
	t.Parallel()
	src := storesGlobalDatabase + `
[[create]]
service = "ssm"
region = "ap-northeast-3"
operation = "PutParameter"
input = { Name = "/stores/db/writer-endpoint", Value = "stores-global.global-3xk2p9q7rz1m.global.rds.amazonaws.com", Type = "String" }
[[create]]
service = "route53"
region = "global"
operation = "CreateHealthCheck"
id = "2c4e6a8b-0d1f-4a3c-8e5b-7d9f1b3d5a70"
input = { CallerReference = "apne1", HealthCheckConfig = { Type = "HTTPS", FullyQualifiedDomainName = "stores-apne1-1122334455.ap-northeast-1.elb.amazonaws.com", ResourcePath = "/healthz" } }
[[create]]
service = "route53"
region = "global"
operation = "CreateHostedZone"
id = "Z0STORES0EXAMPLE0JP00"
input = { Name = "stores.example.jp", CallerReference = "stores-example-jp" }
[[create]]
service = "route53"
region = "global"
operation = "ChangeResourceRecordSets"
[create.input]
HostedZoneId = "Z0STORES0EXAMPLE0JP00"
[[create.input.ChangeBatch.Changes]]
Action = "CREATE"
ResourceRecordSet = { Name = "pos-api.stores.example.jp", Type = "A", SetIdentifier = "tokyo", Failover = "PRIMARY", HealthCheckId = "2c4e6a8b-0d1f-4a3c-8e5b-7d9f1b3d5a70", AliasTarget = { HostedZoneId = "Z14GRHDCWA56QT", DNSName = "stores-apne1-1122334455.ap-northeast-1.elb.amazonaws.com", EvaluateTargetHealth = false } }
[[create.input.ChangeBatch.Changes]]
Action = "CREATE"
ResourceRecordSet = { Name = "pos-api.stores.example.jp", Type = "A", SetIdentifier = "osaka", Failover = "SECONDARY", AliasTarget = { HostedZoneId = "Z5LXEXXYW11ES", DNSName = "stores-apne3-2233445566.ap-northeast-3.elb.amazonaws.com", EvaluateTargetHealth = true } }

[[sites]]
host = "pos-api.stores.example.jp"
path = "/healthz"
body = "region={region} db={db-role:{param:/stores/db/writer-endpoint}}"

[[faults]]
outage = { region = "ap-northeast-1" }
`
	sc, err := ParseScenario("stores.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := NewFromScenario(sc, 60)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	url := srv.URL
	if code, body := web(t, url, "GET", "pos-api.stores.example.jp/healthz", "", ""); code != 200 || body != "region=ap-northeast-3 db=down" {
		t.Fatalf("before the database failover: %d %q", code, body)
	}
	_, err = rds.NewFromConfig(awsConfig(t, url, "ap-northeast-3")).FailoverGlobalCluster(ctx(t), &rds.FailoverGlobalClusterInput{
		GlobalClusterIdentifier: aws.String("stores-global"), AllowDataLoss: aws.Bool(true),
		TargetDbClusterIdentifier: aws.String("arn:aws:rds:ap-northeast-3:123456789012:cluster:stores-aurora-apne3")})
	if err != nil {
		t.Fatal(err)
	}
	sb.clock.Advance(3 * time.Minute)
	if code, body := web(t, url, "GET", "pos-api.stores.example.jp/healthz", "", ""); code != 200 || body != "region=ap-northeast-3 db=writer" {
		t.Fatalf("after the database failover: %d %q", code, body)
	}
}
