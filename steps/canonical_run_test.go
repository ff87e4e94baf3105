package steps

import (
	"slices"
	"testing"
)

// TestAWSCallSendsAndLogsTheAPIsMemberNames: aws.call's input written in
// other casings (the run accepts them, check warns) is sent under the
// SDK's member names, and the gate and the call.sent event — what the
// audit log records — show those names, not the ones written.
func TestAWSCallSendsAndLogsTheAPIsMemberNames(t *testing.T) {
	t.Parallel()
	src := stepRunbook(`
[[steps]]
id = "freeze"
phase = "freeze"
action = "aws.call"
doc = "Read-only mode."
[steps.with]
call = "ssm:PutParameter"
input = { name = "/store/read-only", VALUE = "true", type = "String", overwrite = true }
`)
	approver := &scriptedApprover{}
	tr := startRun(t, src, ssmScenario, runOptions{approver: approver})
	succeeded(t, tr)
	checkGatesShowWhatIsSent(t, tr, approver)
	sent := tr.rec.of(EventCallSent, "freeze")
	if len(sent) != 1 {
		t.Fatalf("%d calls sent, want 1", len(sent))
	}
	var names []string
	for k := range sent[0].Call.Input {
		names = append(names, k)
	}
	slices.Sort(names)
	if want := []string{"Name", "Overwrite", "Type", "Value"}; !slices.Equal(names, want) {
		t.Errorf("the sent input names %v, want %v", names, want)
	}
	if p := parameterState(t, tr, "/store/read-only"); p["value"] != "true" {
		t.Errorf("the sandbox shows %v, want the value true", p)
	}
}
