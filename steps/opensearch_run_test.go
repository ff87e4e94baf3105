package steps

import (
	"fmt"
	"strings"
	"testing"
)

// searchScenario has, in the recovery Region eu-central-1, the domain
// catalog-search, up for weeks, and catalog-new, created five minutes
// before the run (a domain takes a quarter of an hour).
const searchScenario = `
account = "123456789012"

[[create]]
service   = "es"
region    = "eu-central-1"
operation = "CreateDomain"
ago       = "1000h"
input     = { DomainName = "catalog-search", EngineVersion = "OpenSearch_2.19" }

[[create]]
service   = "es"
region    = "eu-central-1"
operation = "CreateDomain"
ago       = "5m"
input     = { DomainName = "catalog-new" }
`

func searchStep(domain string) string {
	return rdsStep("s", "opensearch.wait-healthy", fmt.Sprintf("domain_name = %q", domain),
		`endpoint = "DomainStatus.Endpoint"`+"\n"+`status = "DomainStatus.DomainProcessingStatus"`)
}

func TestOpenSearchWaitHealthy(t *testing.T) {
	t.Parallel()
	for _, domain := range []string{"catalog-search", "catalog-new"} {
		t.Run(domain, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", searchStep(domain)), searchScenario, runOptions{})
			out := stepOutputs(t, tr, "s")
			if !strings.HasPrefix(fmt.Sprint(out["endpoint"]), "search-"+domain+"-") || out["status"] != "Active" {
				t.Errorf("outputs %v", out)
			}
			// The new domain was waited for: it was Creating when the
			// step began.
			if polls := len(tr.rec.of(EventWaitProgress, "s")); domain == "catalog-new" && polls < 2 {
				t.Errorf("%d polls of a domain still being created", polls)
			}
			tr.verify()
		})
	}
}

func TestOpenSearchWaitHealthyFails(t *testing.T) {
	t.Parallel()
	isolated := searchScenario + "\n[[faults]]\nstuck = { service = \"es\", region = \"eu-central-1\", id = \"catalog-search\", state = \"Isolated\" }\n"
	for _, tc := range []struct{ name, domain, scenario, want string }{
		{"a domain that does not exist", "catalog-old", searchScenario, "OpenSearch domain catalog-old does not exist in eu-central-1"},
		{"an isolated domain", "catalog-search", isolated, "OpenSearch domain catalog-search is Isolated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", searchStep(tc.domain)), tc.scenario, runOptions{})
			if err := stepError(tr); !strings.Contains(err, tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			tr.verify()
		})
	}
	t.Run("a missing domain in dry-run", func(t *testing.T) {
		t.Parallel()
		dry := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", searchStep("catalog-old")), searchScenario, runOptions{mode: ModeDryRun})
		if out := stepOutputs(t, dry, "s"); out["endpoint"] != "<simulated: steps.s.endpoint>" || !hasNote(dry, "s", "does not exist") {
			t.Errorf("dry-run outputs %v, notes %v", out, stepNotes(dry, "s"))
		}
		dry.verify()
	})
}
