package steps

import (
	"context"
	"fmt"
	"maps"
	"time"
)

// incident.start opens an Incident Manager incident, which engages the
// response plan's contacts and chat channels: the first step of most
// runbooks.

// planIncidentStart is StartIncident with the step's idempotency token.
func planIncidentStart(_ context.Context, s *StepRun) ([]request, error) {
	in := s.Input()
	in["ClientToken"] = s.Token()
	// IncidentRecordArn is Incident Manager's to choose, so dry-run leaves
	// it out: the output then names this step instead of a made-up ARN.
	simulated := map[string]any{"IncidentRecord": incidentSimulatedRecord(in)}
	return []request{s.primaryRequest("ssm-incidents:StartIncident", in, simulated)}, nil
}

// runIncidentStart starts the incident with the step's idempotency token as
// clientToken, so that Incident Manager itself answers a retried or resumed
// step with the incident it already opened. It then reads the record back
// until it is OPEN. The response is StartIncident's IncidentRecordArn and
// the record as GetIncidentRecord returns it.
func runIncidentStart(ctx context.Context, s *StepRun) (map[string]any, error) {
	r, _, err := s.plannedRequest(ctx)
	if err != nil {
		return nil, err
	}
	plan := s.String("response_plan_arn")
	started, err := s.send(ctx, r)
	if err != nil {
		return nil, callFailed(err, "response plan "+plan, "check response_plan_arn and that the plan is in the replication set of "+s.Region(),
			"ResourceNotFoundException")
	}
	arn := memberString(started, "IncidentRecordArn")
	if arn == "" && !s.Simulated() {
		return nil, fmt.Errorf("StartIncident for response plan %s returned no IncidentRecordArn", plan)
	}
	// Incident Manager has no waiter; a record is OPEN as soon as it can be
	// read, so a short interval suits it.
	rec, err := s.Wait(ctx, WaitSpec{
		Operation: "ssm-incidents:GetIncidentRecord", Input: map[string]any{"Arn": arn},
		Interval: 2 * time.Second, MaxInterval: 10 * time.Second,
		Check: func(out map[string]any) (string, bool, error) {
			status := memberString(memberMap(out, "IncidentRecord"), "Status")
			if status == "RESOLVED" {
				return status, false, fmt.Errorf("incident %s is already RESOLVED: this step's incident was closed; "+
					"reopen it in Incident Manager or start a new run", arn)
			}
			return status, status == "OPEN", nil
		},
	})
	if err != nil {
		return nil, callFailed(err, "incident "+arn, "it was started in "+s.Region()+" and is read there; check its response plan's replication set",
			"ResourceNotFoundException")
	}
	out := maps.Clone(rec)
	if arn != "" {
		out["IncidentRecordArn"] = arn
	}
	return out, nil
}

// incidentSimulatedRecord is the record dry-run shows: what the call asked
// for, OPEN.
func incidentSimulatedRecord(in map[string]any) map[string]any {
	rec := map[string]any{"Status": "OPEN"}
	for _, k := range []string{"Title", "Impact"} {
		if v, ok := in[k]; ok {
			rec[k] = v
		}
	}
	return rec
}
