package steps

import (
	"maps"

	"github.com/drpilot/drpilot/runbooks"
)

// genericActions are the actions that belong to no one AWS service: the
// escape hatch to any operation, the human steps, a timer, an HTTP probe
// and notifications.
func genericActions() []Action {
	return []Action{
		awsCall().runs(runAWSCall).conceals(concealAWSCallSecureString),
		manual().runs(runManual),
		wait().runs(runWait),
		httpProbe().runs(runHTTPProbe),
		notify().runs(runNotify).plans(planNotify),
	}
}

// awsCall reaches every operation of every supported service, so that a
// runbook is never blocked on the catalogue growing an action.
func awsCall() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:    "aws.call",
			Summary: "Call any operation of a supported AWS service with an input written in the runbook.",
			Phases:  []string{"any"},
			// The spec itself is neither: the step is mutating exactly when
			// the operation named by `call` is (see OperationParam).
			Mutating: false,
			Params: []runbooks.Param{
				required(param(runbooks.KindOperation, "call", "",
					"The operation to call as service:Operation, for example route53:ChangeResourceRecordSets.")),
				table("input", "",
					"The operation's input as the AWS CLI's JSON takes it: the API's member names, tables for structures, base64 for binary, RFC 3339 for timestamps, and a union as a one-key table naming its member (a DynamoDB attribute: { S = \"text\" }). check checks every member, at any depth, against the operation's input."),
			},
			Idempotency:    "None beyond the operation's own: pass its client token member in input when it has one, and guard the step with require.",
			Wait:           "Nothing: the step is done when the call returns, so follow a mutating call with a verify step.",
			Expect:         runbooks.Seconds(5),
			Timeout:        runbooks.Minutes(5),
			OperationParam: "call",
			InputParam:     "input",
			Input:          awsCallInput,
		},
		example: example{
			id: "tag-failover", phase: "switch", title: "Record the failover on the hosted zone",
			with: []setting{
				{"call", `"route53:ChangeTagsForResource"`},
				{"input", `{ ResourceType = "hostedzone", ResourceId = "${vars.zone_id}", AddTags = [{ Key = "dr-active", Value = "${runbook.regions.recovery}" }] }`},
			},
		},
	}
}

// awsCallInput is the input table itself: aws.call takes the operation's
// input as written, so the plan shows exactly that.
func awsCallInput(with map[string]any) map[string]any {
	in, ok := with["input"].(map[string]any)
	if !ok {
		return map[string]any{}
	}
	return maps.Clone(in)
}

// manual is a step that a person does, with drpilot holding the clock and
// the record.
func manual() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:    "manual",
			Summary: "Show the step's doc and a checklist; the operator ticks each item and confirms when done.",
			Phases:  []string{"declare", "any"},
			Params: []runbooks.Param{
				listOf("checklist", "", stringElem(),
					"Items the operator must tick, in order, before the step counts as done."),
			},
			Idempotency: "Nothing is sent to AWS; each tick and the confirmation are recorded in the audit log, so a resumed run does not ask again.",
			Wait:        "Until the operator has ticked every item and confirmed the step.",
			Expect:      runbooks.Minutes(5),
			Timeout:     runbooks.Minutes(60),
		},
		example: example{
			id: "declare-disaster", phase: "declare", title: "Declare the disaster",
			with: []setting{
				{"checklist", `["Incident commander named", "Bridge call open", "Customer status page updated"]`},
			},
		},
	}
}

// wait is a timer, for the pauses a procedure prescribes (let DNS caches
// expire, let queues drain).
func wait() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:    "wait",
			Summary: "Wait for a fixed duration, showing a countdown.",
			Phases:  []string{"any"},
			Params: []runbooks.Param{
				required(duration("duration", "How long to wait, as a runbook duration such as \"90s\" or \"5m\".")),
			},
			Idempotency: "Nothing is sent to AWS; a resumed run waits only for the time that remained.",
			Wait:        "Until duration has passed. The RTO projection counts the step's duration parameter, not the catalogue's expected duration, which is zero.",
			// The step's own duration is the estimate.
			ExpectParam: "duration",
			Timeout:     runbooks.Minutes(24 * 60),
		},
		example: example{
			id: "let-dns-settle", phase: "switch", title: "Let resolvers drop the old answer",
			with: []setting{{"duration", `"2m"`}},
		},
	}
}

// httpProbe checks what users see, which no AWS API reports.
func httpProbe() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:    "http.probe",
			Summary: "Send HTTP GET requests to a URL until it answers with the expected status and body.",
			Phases:  []string{"verify"},
			Params: []runbooks.Param{
				required(str("url", "", "The URL to request with GET.")),
				defaulting(between("expect_status", "", 100, 599, "The HTTP status code that counts as success."), int64(200)),
				str("body_contains", "", "Text the response body must contain for the probe to succeed."),
				defaulting(between("attempts", "", 1, 1000, "How many requests to send before the step fails."), int64(10)),
				defaulting(duration("interval", "How long to wait between two requests."), "15s"),
			},
			Outputs:     []string{"StatusCode", "Attempts"},
			Idempotency: "Sends only GET requests, which are safe to repeat; no AWS call is made, so dry-run probes too, once: what a probe waits for usually follows from changes dry-run does not make, so it reports what it saw instead of failing.",
			Wait:        "Until one response has the expected status and body, or attempts are exhausted. The response is {StatusCode, Attempts, URL} of the successful request; in sandbox mode the request goes to the sandbox's simulated internet, and RequestedURL says where.",
			Expect:      runbooks.Seconds(30),
			Timeout:     runbooks.Minutes(5),
		},
		example: example{
			id: "probe-storefront", phase: "verify", title: "The storefront answers from the recovery Region",
			with: []setting{
				{"url", `"https://shop.example.com/healthz"`},
				{"expect_status", `200`},
				{"body_contains", `"${runbook.regions.recovery}"`},
			},
		},
	}
}

// deliver is a call that sends to one contact channel.
func deliver(operation, channel string) runbooks.Call {
	c := act(operation)
	c.Channel = channel
	return c
}

// notify tells people, through every channel their [[contacts]] entry has.
func notify() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:    "notify",
			Summary: "Send a message to contacts over each of their channels: SNS, email (SES), Incident Manager engagement and webhook (HTTPS POST).",
			Phases:  []string{"notify"},
			// Messages cannot be unsent, so notify is confirmed like any
			// other mutating action and dry-run shows it without sending.
			Mutating: true,
			// There is nothing to check before telling people.
			NoPrecondition: true,
			Calls: []runbooks.Call{
				deliver("sns:Publish", "sns_topic"),
				deliver("ses:SendEmail", "email"),
				deliver("ssm-contacts:StartEngagement", "ssm_contact"),
			},
			Params: []runbooks.Param{
				required(param(runbooks.KindContactIDs, "to", "", "Ids of [[contacts]] entries to notify.")),
				str("subject", "", "The subject line for email, SNS and engagements; without it, the step's title."),
				required(str("message", "", "The message text; templates such as ${steps.ID.OUTPUT} are allowed.")),
				str("from", "", "The sender of email deliveries (SES FromEmailAddress), such as \"DR bridge <dr@example.com>\": an identity verified in SES in the step's Region. Without it, email deliveries fail and the other channels still deliver."),
			},
			Outputs:     []string{"Deliveries[].MessageId"},
			Idempotency: "Each delivery's message id, or its error, is written to the audit log and returned. The step fails only when no delivery succeeded, so a retry tells nobody twice. StartEngagement gets an idempotency token derived from the run, the step and the contact, so a resumed run does not page twice; SNS, email and webhooks have no such token and may be sent again when a run is resumed after a crash in the middle of the step (webhooks carry an Idempotency-Key header for receivers that deduplicate).",
			Wait:        "Until each channel has answered: SNS, SES and SSM Contacts accept or refuse at once; a webhook (an HTTPS POST of a JSON body, no AWS operation; plain HTTP only to a loopback address) is tried up to 3 times, 10 s each, with backoff, until it answers 2xx. A failed delivery is a note and does not stop the others. The response is {Deliveries: [{Contact, Channel, MessageId or Error}]}.",
			Expect:      runbooks.Seconds(5),
			Timeout:     runbooks.Minutes(2),
		},
		example: example{
			id: "tell-stores", phase: "notify", title: "Tell the stores the shop is back",
			with: []setting{
				{"to", `["commander", "store-managers"]`},
				{"subject", `"Failover complete"`},
				{"message", `"Traffic now served from ${runbook.regions.recovery}."`},
				{"from", `"DR bridge <dr@example.com>"`},
			},
		},
	}
}
