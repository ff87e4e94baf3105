package steps

import (
	"context"
	"fmt"
	"maps"
	"strings"
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
// clientToken, so that Incident Manager itself answers a retried step with
// the incident it already opened. When an earlier attempt may have opened
// it unbeknown to drpilot (killed after StartIncident was sent), it first
// looks for that incident (startedBefore) and sends nothing if it finds
// it: the token is honoured only for a while, and a second request is a
// second request. It then reads the record back until it is OPEN. The
// response is StartIncident's IncidentRecordArn and the record as
// GetIncidentRecord returns it.
func runIncidentStart(ctx context.Context, s *StepRun) (map[string]any, error) {
	r, _, err := s.plannedRequest(ctx)
	if err != nil {
		return nil, err
	}
	plan := s.String("response_plan_arn")
	arn, err := startedBefore(ctx, s, r.Input)
	if err != nil {
		return nil, err
	}
	if arn == "" {
		started, err := s.send(ctx, r)
		if err != nil {
			return nil, callFailed(err, "response plan "+plan, "check response_plan_arn and that the plan is in the replication set of "+s.Region(),
				"ResourceNotFoundException")
		}
		arn = memberString(started, "IncidentRecordArn")
	}
	if arn == "" && !s.Simulated() {
		return nil, fmt.Errorf("StartIncident for response plan %s returned no IncidentRecordArn", plan)
	}
	// Incident Manager has no waiter; a record is OPEN as soon as it can be
	// read, so a short interval suits it.
	rec, err := s.Wait(ctx, WaitSpec{
		Operation: "ssm-incidents:GetIncidentRecord", Input: map[string]any{"Arn": arn},
		Delays: pollDelays{2 * time.Second, 10 * time.Second},
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

// maxIncidentPages bounds the search for an incident an earlier attempt
// opened: 10 pages of 100 records, newest first in practice, reach far
// past the incidents opened since a run started.
const maxIncidentPages = 10

// startedBefore finds the incident an earlier attempt of the step opened,
// when one may have (mayHaveSent), or returns "". StartIncident's client
// token is not in the record, and drpilot's calls cannot pass
// ListIncidentRecords' filters (a union the SDK's types do not decode), so
// it reads the records and keeps those of the step's response plan (named
// in the record's ARN), with the step's title when it sets one (the
// shipped runbooks' titles name the run id), opened since the run started.
// More than one is for a person to sort out.
func startedBefore(ctx context.Context, s *StepRun, in map[string]any) (string, error) {
	if !s.mayHaveSent("ssm-incidents:StartIncident") {
		return "", nil
	}
	plan, _ := in["ResponsePlanArn"].(string)
	_, name, _ := strings.Cut(plan, ":response-plan/")
	title, _ := in["Title"].(string)
	since := s.exec.opts.StartedAt.Add(-reconcileSlack)
	var found []string
	req := map[string]any{"MaxResults": 100}
	for page := 0; page < maxIncidentPages; page++ {
		out, err := s.Read(ctx, "ssm-incidents:ListIncidentRecords", req)
		if err != nil {
			return "", fmt.Errorf("look for the incident an earlier attempt of this step may have opened: %w", err)
		}
		for _, item := range respList(out, "IncidentRecordSummaries") {
			rec := respMap(item)
			created, ok := respTime(rec, "CreationTime")
			arn := respString(rec, "Arn")
			if ok && !created.Before(since) && strings.Contains(arn, ":incident-record/"+name+"/") &&
				(title == "" || respString(rec, "Title") == title) {
				found = append(found, arn)
			}
		}
		if req["NextToken"] = respString(out, "NextToken"); req["NextToken"] == "" {
			break
		}
	}
	switch len(found) {
	case 0:
		s.Note("no incident of response plan %s was opened since the run started: StartIncident is sent", plan)
		return "", nil
	case 1:
		s.Note("incident %s was opened by an earlier attempt of this step: StartIncident is not sent again", found[0])
		return found[0], nil
	}
	return "", fmt.Errorf("an earlier attempt of this step may have opened an incident, and %d match it (%s): "+
		"find this run's in Incident Manager, then skip the step with its IncidentRecordArn", len(found), strings.Join(found, ", "))
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
