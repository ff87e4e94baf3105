package sandbox

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// TestRoute53ListByNameAndHealthChecks: zones come by reversed name from
// the name asked for, a page at a time; health checks are listed, paged.
func TestRoute53ListByNameAndHealthChecks(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := route53.NewFromConfig(awsConfig(t, url, "us-east-1"))
	for i, name := range []string{"shop.example.com", "example.org", "example.com"} {
		if _, err := client.CreateHostedZone(ctx(t), &route53.CreateHostedZoneInput{Name: aws.String(name), CallerReference: aws.String(name + string(rune('a'+i)))}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := client.ListHostedZonesByName(ctx(t), &route53.ListHostedZonesByNameInput{DNSName: aws.String("example.com"), MaxItems: aws.Int32(1)})
	if err != nil || len(out.HostedZones) != 1 || aws.ToString(out.HostedZones[0].Name) != "example.com." || !out.IsTruncated ||
		aws.ToString(out.NextDNSName) != "shop.example.com." {
		t.Fatalf("by name: %+v %v", out, err)
	}
	rest, err := client.ListHostedZonesByName(ctx(t), &route53.ListHostedZonesByNameInput{DNSName: out.NextDNSName, HostedZoneId: out.NextHostedZoneId})
	if err != nil || len(rest.HostedZones) != 2 || aws.ToString(rest.HostedZones[1].Name) != "example.org." || rest.IsTruncated {
		t.Fatalf("by name, next page: %+v %v", rest, err)
	}
	if _, err := client.ListHostedZonesByName(ctx(t), &route53.ListHostedZonesByNameInput{HostedZoneId: aws.String("Z1")}); apiCode(err) != "InvalidInput" {
		t.Fatalf("an id without a name: %v", err)
	}
	for _, ref := range []string{"hc1", "hc2", "hc3"} {
		if _, err := client.CreateHealthCheck(ctx(t), &route53.CreateHealthCheckInput{CallerReference: aws.String(ref),
			HealthCheckConfig: &r53types.HealthCheckConfig{Type: r53types.HealthCheckTypeHttps, FullyQualifiedDomainName: aws.String(ref + ".example.com")}}); err != nil {
			t.Fatal(err)
		}
	}
	var seen int
	pages := route53.NewListHealthChecksPaginator(client, &route53.ListHealthChecksInput{MaxItems: aws.Int32(2)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		seen += len(page.HealthChecks)
		for _, h := range page.HealthChecks {
			if h.HealthCheckConfig == nil || h.HealthCheckConfig.Type != r53types.HealthCheckTypeHttps {
				t.Errorf("health check: %+v", h)
			}
		}
	}
	if seen != 3 {
		t.Fatalf("listed %d health checks, want 3", seen)
	}
}
