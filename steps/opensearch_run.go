package steps

import (
	"context"
	"fmt"
	"time"
)

// The OpenSearch Service wait. A domain's creation takes a quarter of an
// hour or more and a blue/green change as long, so the polls start at
// half a minute and stop growing at a minute.
const (
	domainPollInterval    = 30 * time.Second
	domainPollMaxInterval = 60 * time.Second
)

// runOpenSearchWaitHealthy waits for a domain and answers with the last
// DescribeDomain response.
func runOpenSearchWaitHealthy(ctx context.Context, s *StepRun) (map[string]any, error) {
	name := s.String("domain_name")
	out, err := s.Wait(ctx, WaitSpec{
		Operation: "es:DescribeDomain", Input: map[string]any{"DomainName": name},
		Check: domainReady(name), Interval: domainPollInterval, MaxInterval: domainPollMaxInterval,
	})
	if errorCode(err) != "ResourceNotFoundException" {
		return out, err
	}
	if missingInDryRun(s, err, "OpenSearch domain "+name) {
		return simulateAbsent(s, map[string]any{"DomainStatus": map[string]any{"DomainName": name}}), nil
	}
	return nil, fmt.Errorf("OpenSearch domain %s does not exist in %s: check domain_name and the step's region: %w", name, s.Region(), err)
}

// domainReady is the Check of the wait: what the configuration API says
// of a domain's readiness. Isolated (AWS suspended it) and Deleting are
// states waiting does not end.
func domainReady(name string) func(map[string]any) (string, bool, error) {
	return func(out map[string]any) (string, bool, error) {
		d := respMap(out["DomainStatus"])
		status := respString(d, "DomainProcessingStatus")
		switch {
		case d["Deleted"] == true || status == "Deleting":
			return "deleting", false, fmt.Errorf("OpenSearch domain %s is being deleted", name)
		case status == "Isolated":
			return status, false, fmt.Errorf("OpenSearch domain %s is Isolated: AWS has suspended it (read the domain's notifications in the console), so it does not become ready on its own", name)
		case d["Created"] != true:
			return "not created yet", false, nil
		case d["UpgradeProcessing"] == true:
			return "upgrading its engine", false, nil
		case d["Processing"] == true:
			return "processing a change (" + orUnknown(status) + ")", false, nil
		case respString(d, "Endpoint") == "" && len(respMap(d["Endpoints"])) == 0:
			return "no endpoint yet", false, nil
		case status != "" && status != "Active":
			return status, false, nil
		}
		return "active, endpoint " + respString(d, "Endpoint"), true, nil
	}
}

// orUnknown is s, or "status not reported" when AWS leaves it out.
func orUnknown(s string) string {
	if s == "" {
		return "status not reported"
	}
	return s
}
