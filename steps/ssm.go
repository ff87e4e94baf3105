package steps

import "github.com/drpilot/drpilot/runbooks"

// ssmActions are the AWS Systems Manager actions (IAM prefix ssm): an
// OpsCenter work item to declare the event, and Parameter Store flags that
// applications read to go into maintenance or read-only mode.
func ssmActions() []Action {
	return []Action{
		opsItemCreate().runs(runOpsItemCreate).plans(planOpsItemCreate),
		ssmPutParameter().runs(runSSMPutParameter).conceals(concealSecureString),
	}
}

// opsItemCreate declares the event in OpsCenter, for teams that track
// operational work there rather than in Incident Manager.
func opsItemCreate() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "opsitem.create",
			Summary:  "Create an OpsCenter OpsItem that records the disaster and its recovery.",
			Phases:   []string{"declare"},
			Mutating: true,
			Calls: []runbooks.Call{
				check("ssm:DescribeOpsItems"),
				lookup("ssm:GetOpsItem"),
				act("ssm:CreateOpsItem"),
			},
			Params: []runbooks.Param{
				required(str("title", "Title", "A short title for the OpsItem.")),
				required(str("description", "Description", "What happened and what the runbook does about it.")),
				defaulting(str("source", "Source", "The origin of the OpsItem, as OpsCenter shows it."), "drpilot"),
				between("priority", "Priority", 1, 5, "The priority from 1 (highest) to 5 (lowest)."),
				enum("severity", "Severity", []string{"1", "2", "3", "4"}, "The severity from \"1\" (critical) to \"4\" (low)."),
				enum("category", "Category", []string{"Availability", "Cost", "Performance", "Recovery", "Security"},
					"The OpsCenter category."),
			},
			Outputs:     []string{"OpsItemId", "OpsItemArn"},
			Idempotency: "Check-before-act: the executor tags the OpsItem's OperationalData with /drpilot/run-step (the run and step ids, a SearchableString) and DescribeOpsItems finds an OpsItem already created by this step instead of creating a second; GetOpsItem then gives its OpsItemArn.",
			Wait:        "Nothing more: the OpsItem exists when CreateOpsItem returns.",
			Expect:      runbooks.Seconds(5),
			Timeout:     runbooks.Minutes(2),
		},
		example: example{
			id: "open-opsitem", phase: "declare", title: "Record the event in OpsCenter",
			with: []setting{
				{"title", `"Region failover: ${runbook.id}"`},
				{"description", `"Failing over to ${runbook.regions.recovery} (run ${run.id})."`},
				{"priority", `1`},
				{"category", `"Recovery"`},
			},
			outputs: []setting{{"opsitem", `"OpsItemId"`}},
		},
	}
}

// ssmPutParameter flips a Parameter Store value. Freezing writes through an
// application flag is faster and more reversible than scaling anything.
func ssmPutParameter() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "ssm.put-parameter",
			Summary:  "Set a Parameter Store parameter, such as a maintenance or read-only flag the application reads.",
			Phases:   []string{"freeze", "reintegrate"},
			Mutating: true,
			Calls: []runbooks.Call{
				check("ssm:GetParameter"),
				act("ssm:PutParameter"),
				waitOn("ssm:GetParameter"),
			},
			Params: []runbooks.Param{
				required(str("name", "Name", "The parameter's name, such as /store/maintenance-mode.")),
				required(str("value", "Value", "The value to set; SecureString values are redacted in the audit log, the events and the screens.")),
				defaulting(enum("type", "Type", []string{"String", "StringList", "SecureString"},
					"The parameter type."), "String"),
				defaulting(boolean("overwrite", "Overwrite", "Whether to replace an existing value."), true),
				str("key_id", "KeyId", "The KMS key that encrypts a SecureString value, when not the account's default."),
			},
			Outputs:     []string{"Version", "Tier"},
			Idempotency: "Check-before-act: GetParameter (with decryption) reads the current value and the step changes nothing when it already holds value with the same type (the response is then the current Version, without Tier); an existing parameter with another value and overwrite = false fails the step before any call. PutParameter is a plain set, so a repeat is harmless.",
			Wait:        "Reads the parameter back with GetParameter (with decryption) until it holds value at the version PutParameter returned; the response is PutParameter's (Version, Tier).",
			Expect:      runbooks.Seconds(5),
			Timeout:     runbooks.Minutes(2),
		},
		example: example{
			id: "freeze-writes", phase: "freeze", title: "Put the store into read-only mode",
			with: []setting{
				{"name", `"/store/read-only"`},
				{"value", `"true"`},
			},
			outputs: []setting{{"version", `"Version"`}},
		},
	}
}
