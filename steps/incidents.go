package steps

import "github.com/drpilot/drpilot/runbooks"

// incidentsActions are the AWS Systems Manager Incident Manager actions
// (IAM prefix ssm-incidents). Starting the incident there engages the
// response plan's contacts and chat channels, which is why it is the first
// step of most runbooks.
func incidentsActions() []Action {
	return []Action{incidentStart().runs(runIncidentStart).plans(planIncidentStart)}
}

// incidentStart opens an incident from a response plan.
func incidentStart() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "incident.start",
			Summary:  "Start an Incident Manager incident from a response plan, engaging its contacts and runbooks.",
			Phases:   []string{"declare"},
			Mutating: true,
			Calls: []runbooks.Call{
				check("ssm-incidents:ListIncidentRecords"),
				act("ssm-incidents:StartIncident"),
				waitOn("ssm-incidents:GetIncidentRecord"),
			},
			Params: []runbooks.Param{
				required(arn("response_plan_arn", "ResponsePlanArn", "ssm-incidents",
					"The ARN of the response plan that defines the incident's contacts, chat channels and impact.")),
				str("title", "Title", "A title that replaces the response plan's default incident title."),
				between("impact", "Impact", 1, 5,
					"The impact from 1 (critical) to 5 (no impact), replacing the response plan's default."),
			},
			Outputs: []string{"IncidentRecordArn"},
			Idempotency: "StartIncident gets a ClientToken derived from the run id and step id, so a retried step returns the same incident. " +
				"When an earlier attempt may have opened the incident without drpilot seeing the answer (a resumed step whose StartIncident was logged sent and never answered, or a retry), " +
				"ListIncidentRecords first looks for an incident of the response plan, with the step's title if it sets one, opened since the run started: one found is waited for and StartIncident is not sent again; several fail the step for a person to choose.",
			Wait:    "Reads the record back with GetIncidentRecord until its status is OPEN (a RESOLVED record fails the step); the response is StartIncident's IncidentRecordArn with that IncidentRecord.",
			Expect:  runbooks.Seconds(10),
			Timeout: runbooks.Minutes(2),
		},
		example: example{
			id: "open-incident", phase: "declare", title: "Open the incident",
			with: []setting{
				{"response_plan_arn", `"arn:aws:ssm-incidents::${runbook.account}:response-plan/store-outage"`},
				{"title", `"Store systems: Region failover"`},
				{"impact", `1`},
			},
			outputs: []setting{{"incident", `"IncidentRecordArn"`}},
		},
	}
}
