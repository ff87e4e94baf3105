package steps

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
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
		Check: domainReady(name), Delays: pollDelays{domainPollInterval, domainPollMaxInterval},
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

// The restore's wait: a restore's primaries recover in minutes, its
// replicas after them; large indices take an hour or more.
const (
	restorePollInterval    = 15 * time.Second
	restorePollMaxInterval = 60 * time.Second
)

// existingIndices are those of names the domain has already, from
// GET _cat/indices?format=json. All indices are listed rather than the
// names, for which OpenSearch answers 404 as soon as one is missing.
func existingIndices(ctx context.Context, s *StepRun, endpoint string, names []string) ([]string, error) {
	var rows []map[string]any
	if err := endpointGet(ctx, s, endpointURL(endpoint, "_cat", "indices")+"?format=json", &rows); err != nil {
		return nil, fmt.Errorf("check which indices domain %s has already: %w", s.String("domain_name"), err)
	}
	var out []string
	for _, row := range rows {
		if n := respString(row, "index"); slices.Contains(names, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// waitIndicesHealthy polls GET _cluster/health/<indices> until they are
// green (or yellow, with accept_yellow) and returns their health. The
// step's timeout ends the wait with its last state, which for red says
// why the indices are not searchable and where to look.
func waitIndicesHealthy(ctx context.Context, s *StepRun, endpoint string, names []string) (string, error) {
	acceptYellow, _ := s.Bool("accept_yellow")
	escaped := make([]string, len(names))
	for i, n := range names {
		escaped[i] = url.PathEscape(n)
	}
	healthURL := endpointURL(endpoint, "_cluster", "health") + "/" + strings.Join(escaped, ",")
	out, err := s.Wait(ctx, WaitSpec{
		Operation: esHTTPGet, Delays: pollDelays{restorePollInterval, restorePollMaxInterval},
		Poll: func(ctx context.Context) (map[string]any, error) {
			var h map[string]any
			err := endpointGet(ctx, s, healthURL, &h)
			return h, err
		},
		Check: func(h map[string]any) (string, bool, error) {
			status := respString(h, "status")
			state := fmt.Sprintf("%s: %v shards unassigned, %v initializing", status, h["unassigned_shards"], h["initializing_shards"])
			if status == "red" {
				state += "; a primary shard of " + strings.Join(names, ", ") + " is not allocated, so searches fail or miss documents " +
					"(disk space, shard limits, or a shard missing from the snapshot: GET _cluster/allocation/explain on the domain says which)"
			}
			return state, status == "green" || status == "yellow" && acceptYellow, nil
		},
	})
	switch {
	case err != nil:
		return "", err
	case s.Simulated():
		return "green (simulated)", nil
	}
	return respString(out, "status"), nil
}
