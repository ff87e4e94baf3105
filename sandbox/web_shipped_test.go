package sandbox

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestShippedScenariosProbes: at the start of each shipped game day, the
// runbook's http.probe URL answers what a user would get in the disaster,
// through the scenario's DNS: a dead load balancer in the lost Region, the
// CDN's maintenance page, or the standby answering with its database not
// yet writable. None of them passes the probe until the runbook has run.
func TestShippedScenariosProbes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		scenario, hostPath string
		status             int
		body               string
	}{
		{"backup-restore-rapid-recovery", "docstore.example.com/healthz", 503, "eu-west-1 is out"},
		{"ecommerce-pilot-light", "shop.example.com/healthz", 503, "checkout=maintenance"},
		{"ecs-fargate-failover", "api.booking.example.com/healthz", 503, "ap-southeast-2 is out"},
		{"store-region-failover", "pos-api.stores.example.jp/healthz", 200, "region=ap-northeast-3 db=down"},
	}
	for _, tc := range cases {
		sc, err := LoadScenario("../runbooks/scenarios/" + tc.scenario + ".toml")
		if err != nil {
			t.Fatal(err)
		}
		sb, err := NewFromScenario(sc, shippedTimeScale)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(sb)
		code, body := web(t, srv.URL, "GET", tc.hostPath, "", "")
		srv.Close()
		if code != tc.status || !strings.Contains(body, tc.body) {
			t.Errorf("%s: %s answers %d %q, want %d containing %q", tc.scenario, tc.hostPath, code, body, tc.status, tc.body)
		}
	}
}
