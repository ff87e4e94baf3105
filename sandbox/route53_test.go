package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

func newZone(t *testing.T, client *route53.Client, name string) string {
	t.Helper()
	out, err := client.CreateHostedZone(ctx(t), &route53.CreateHostedZoneInput{Name: aws.String(name), CallerReference: aws.String(name + "-ref")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.DelegationSet.NameServers) != 4 || aws.ToString(out.HostedZone.Name) != name+"." {
		t.Fatalf("CreateHostedZone = %+v", out)
	}
	return aws.ToString(out.HostedZone.Id)
}

// TestRoute53FailoverRecordAndChangeSync: an UPSERT of a failover record
// is PENDING, then INSYNC after about a minute of simulated time, which
// the SDK's own waiter sees.
func TestRoute53FailoverRecordAndChangeSync(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 600})
	client := route53.NewFromConfig(awsConfig(t, url, "us-east-1"))
	zone := newZone(t, client, "shop.example.com")
	change, err := client.ChangeResourceRecordSets(ctx(t), &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(zone),
		ChangeBatch: &r53types.ChangeBatch{Comment: aws.String("fail over"), Changes: []r53types.Change{{
			Action: r53types.ChangeActionUpsert,
			ResourceRecordSet: &r53types.ResourceRecordSet{Name: aws.String("api.shop.example.com"), Type: r53types.RRTypeCname,
				TTL: aws.Int64(60), SetIdentifier: aws.String("secondary"), Failover: r53types.ResourceRecordSetFailoverSecondary,
				ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("api.us-west-2.shop.example.com")}}},
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	if change.ChangeInfo.Status != r53types.ChangeStatusPending {
		t.Fatalf("a new change is %s", change.ChangeInfo.Status)
	}
	w := route53.NewResourceRecordSetsChangedWaiter(client, func(o *route53.ResourceRecordSetsChangedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 100*time.Millisecond
	})
	if err := w.Wait(ctx(t), &route53.GetChangeInput{Id: change.ChangeInfo.Id}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	sets, err := client.ListResourceRecordSets(ctx(t), &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone)})
	if err != nil {
		t.Fatal(err)
	}
	var found *r53types.ResourceRecordSet
	for i := range sets.ResourceRecordSets {
		if aws.ToString(sets.ResourceRecordSets[i].Name) == "api.shop.example.com." {
			found = &sets.ResourceRecordSets[i]
		}
	}
	if len(sets.ResourceRecordSets) != 3 || found == nil || found.Failover != r53types.ResourceRecordSetFailoverSecondary ||
		aws.ToInt64(found.TTL) != 60 || aws.ToString(found.ResourceRecords[0].Value) != "api.us-west-2.shop.example.com" {
		t.Fatalf("record sets = %+v", sets.ResourceRecordSets)
	}
	create := &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(zone), ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{{
		Action: r53types.ChangeActionCreate, ResourceRecordSet: found}}}}
	var invalid *r53types.InvalidChangeBatch
	if _, err := client.ChangeResourceRecordSets(ctx(t), create); !errors.As(err, &invalid) || !strings.Contains(invalid.Messages[0], "already exists") {
		t.Fatalf("CREATE of an existing record: %v", err)
	}
	var noZone *r53types.NoSuchHostedZone
	if _, err := client.ListResourceRecordSets(ctx(t), &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("ZNOPE")}); !errors.As(err, &noZone) {
		t.Fatalf("missing zone: %v", err)
	}
}

func TestRoute53ListHostedZonesPaginates(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := route53.NewFromConfig(awsConfig(t, url, "us-east-1"))
	for i := 0; i < 7; i++ {
		newZone(t, client, fmt.Sprintf("z%d.example.com", i))
	}
	p := route53.NewListHostedZonesPaginator(client, &route53.ListHostedZonesInput{MaxItems: aws.Int32(3)})
	pages, zones := 0, 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		zones += len(out.HostedZones)
	}
	if pages != 3 || zones != 7 {
		t.Fatalf("%d pages, %d zones", pages, zones)
	}
}

// TestRoute53HealthChecksFollowTheRegion: a check of the us-west-2
// application succeeds, fails while us-west-2 is out, and can be
// inverted (the data-plane failover); versions guard concurrent edits.
// Route 53's API itself answers from us-east-1, so it fails while
// us-east-1 is out, as its control plane does.
func TestRoute53HealthChecksFollowTheRegion(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := route53.NewFromConfig(awsConfig(t, url, "us-east-1"))
	// A zone's caller reference is not a health check's: AWS keeps them apart.
	if _, err := client.CreateHostedZone(ctx(t), &route53.CreateHostedZoneInput{Name: aws.String("shop.example.com"),
		CallerReference: aws.String("primary-app")}); err != nil {
		t.Fatal(err)
	}
	created, err := client.CreateHealthCheck(ctx(t), &route53.CreateHealthCheckInput{CallerReference: aws.String("primary-app"),
		HealthCheckConfig: &r53types.HealthCheckConfig{Type: r53types.HealthCheckTypeHttps, Port: aws.Int32(443),
			FullyQualifiedDomainName: aws.String("shop-alb.us-west-2.elb.amazonaws.com"), ResourcePath: aws.String("/health")}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.HealthCheck.Id
	status := func() string {
		out, err := client.GetHealthCheckStatus(ctx(t), &route53.GetHealthCheckStatusInput{HealthCheckId: id})
		if err != nil || len(out.HealthCheckObservations) != 8 {
			t.Fatalf("status: %+v %v", out, err)
		}
		return aws.ToString(out.HealthCheckObservations[0].StatusReport.Status)
	}
	if s := status(); !strings.HasPrefix(s, "Success") {
		t.Fatalf("healthy Region: %s", s)
	}
	sb.faults.apply(Fault{Outage: &Outage{Region: "us-west-2"}})
	if s := status(); !strings.HasPrefix(s, "Failure") {
		t.Fatalf("Region out: %s", s)
	}
	updated, err := client.UpdateHealthCheck(ctx(t), &route53.UpdateHealthCheckInput{HealthCheckId: id, Inverted: aws.Bool(true), HealthCheckVersion: aws.Int64(1)})
	if err != nil || !aws.ToBool(updated.HealthCheck.HealthCheckConfig.Inverted) || aws.ToInt64(updated.HealthCheck.HealthCheckVersion) != 2 {
		t.Fatalf("invert: %+v %v", updated, err)
	}
	var mismatch *r53types.HealthCheckVersionMismatch
	if _, err := client.UpdateHealthCheck(ctx(t), &route53.UpdateHealthCheckInput{HealthCheckId: id, Disabled: aws.Bool(true), HealthCheckVersion: aws.Int64(1)}); !errors.As(err, &mismatch) {
		t.Fatalf("stale version: %v", err)
	}
	got, err := client.GetHealthCheck(ctx(t), &route53.GetHealthCheckInput{HealthCheckId: id})
	if err != nil || got.HealthCheck.HealthCheckConfig.Type != r53types.HealthCheckTypeHttps || aws.ToInt32(got.HealthCheck.HealthCheckConfig.Port) != 443 {
		t.Fatalf("get: %+v %v", got, err)
	}
	var noCheck *r53types.NoSuchHealthCheck
	if _, err := client.GetHealthCheck(ctx(t), &route53.GetHealthCheckInput{HealthCheckId: aws.String("nope")}); !errors.As(err, &noCheck) {
		t.Fatalf("missing check: %v", err)
	}
	sb.faults.apply(Fault{Outage: &Outage{Region: "us-east-1"}})
	fromOregon := route53.NewFromConfig(awsConfig(t, url, "us-west-2"))
	if _, err := fromOregon.GetHealthCheck(ctx(t), &route53.GetHealthCheckInput{HealthCheckId: id}); apiCode(err) != "ServiceUnavailable" {
		t.Fatalf("Route 53's control plane with us-east-1 out: %v", err)
	}
}

func TestSimulatedApplication(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	get := func(path string) int {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("/_sandbox/app/us-east-1/health"); code != 200 {
		t.Fatalf("app up: %d", code)
	}
	sb.faults.apply(Fault{Outage: &Outage{Region: "us-east-1"}})
	if a, b := get("/_sandbox/app/us-east-1/health"), get("/_sandbox/app/us-west-2/health"); a != 503 || b != 200 {
		t.Fatalf("us-east-1 out: %d, us-west-2: %d", a, b)
	}
	if code := get("/_sandbox/app/mars/health"); code != 404 {
		t.Fatalf("not a Region: %d", code)
	}
}
