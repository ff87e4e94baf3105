package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
	"github.com/drpilot/drpilot/steps/awsclient"
	"github.com/drpilot/drpilot/team"
)

// readyRunbook evaluates one runbook's board, against its sandbox
// scenario or the standard AWS configuration, and publishes it when asked.
func readyRunbook(ctx context.Context, opts readyOptions, file string, rb *runbooks.Runbook, plan *runbooks.RunPlan) (readyReport, error) {
	rep := readyReport{File: file, Runbook: rb.ID}
	env := &runEnv{mode: steps.ModeDryRun}
	defer env.close()
	var cfg aws.Config
	var err error
	if opts.sandbox {
		// The same sandbox drpilot run --sandbox would start: the
		// runbook's scenario, or --scenario.
		cfg, err = env.startSandbox(ctx, runOptions{sandbox: true, scenario: opts.scenario}, rb)
	} else {
		cfg, err = loadAWSConfig(ctx, opts.profile, rb)
	}
	if err != nil {
		return rep, err
	}
	scale, now := 1.0, time.Now
	if env.sandbox != nil {
		scale, now = env.sandbox.Clock().Scale(), env.sandbox.Clock().Now
	}
	// A dry-run factory: whatever a precondition names, nothing that
	// changes anything can be sent from here.
	clients, err := awsclient.NewFactory(awsclient.Options{Config: cfg, DryRun: true, ReadOnly: steps.ReadOnly, TimeScale: scale})
	if err != nil {
		return rep, err
	}
	// The identity check and IAM's simulator give up after two attempts
	// rather than a run's six: the first decides whether AWS answers at
	// all, and an endpoint may not serve the second (moto answers it 500).
	quick, err := awsclient.NewFactory(awsclient.Options{Config: cfg, DryRun: true, ReadOnly: steps.ReadOnly, TimeScale: scale, MaxAttempts: 2})
	if err != nil {
		return rep, err
	}
	identity, caller, account, unreachable := readyIdentity(ctx, quick, rb)
	rep.Checks = append(rep.Checks, identity)
	if unreachable {
		// Every other check would wait out its retries on the same
		// endpoint: minutes, for a board that can only say "unknown".
		rep.Checks = append(rep.Checks, readyCheck{Status: readyUnknown, Check: "the rest of the board",
			Detail: "not checked: AWS did not answer the identity check; fix that, then run drpilot ready again"})
		rep.finish()
		return rep, nil
	}
	rep.Checks = append(rep.Checks, readyTeam(ctx, clients, plan)...)
	board, err := steps.EvaluateReadiness(ctx, steps.ReadinessOptions{Runbook: rb, Plan: plan, Clients: clients, Now: now, TimeScale: scale})
	if err != nil {
		return rep, err
	}
	for _, r := range board {
		rep.Checks = append(rep.Checks, readyPrecondition(r))
	}
	rep.Checks = append(rep.Checks, readyPermissions(ctx, quick, plan, caller, account)...)
	rep.finish()
	if opts.publish {
		if err := publishReadiness(ctx, cfg, rb, rep); err != nil {
			return rep, fmt.Errorf("--publish: %w", err)
		}
		rep.Published = true
	}
	return rep, nil
}

// readyIdentity asks STS who the caller is: a run refuses an account
// other than the runbook's, so ready says so first. It returns the
// caller's ARN and account too ("" when STS did not say), and whether
// AWS could not be reached at all (or there were no credentials).
func readyIdentity(ctx context.Context, clients *awsclient.Factory, rb *runbooks.Runbook) (c readyCheck, arn, account string, unreachable bool) {
	c = readyCheck{Check: "identity", Call: "sts:GetCallerIdentity", Region: rb.Regions.Recovery}
	resp, err := clients.Invoke(ctx, "sts", rb.Regions.Recovery, "GetCallerIdentity", nil)
	if err != nil {
		if why := awsUnreachable(err, rb.Regions.Recovery); why != "" {
			c.Status, c.Detail = readyUnknown, why
			return c, "", "", true
		}
		c.Status, c.Detail = readyUnknown, "cannot tell who you are in AWS: "+err.Error()
		return c, "", "", false
	}
	account, _ = resp.Output["Account"].(string)
	arn, _ = resp.Output["Arn"].(string)
	switch {
	case rb.Account != "" && account != rb.Account:
		c.Status, c.Detail = readyFailed, fmt.Sprintf("%s is in account %s, and the runbook is for %s: a run would refuse", arn, account, rb.Account)
	case rb.Account == "":
		c.Status, c.Detail = readyOK, fmt.Sprintf("%s (account %s; the runbook names none)", arn, account)
	default:
		c.Status, c.Detail = readyOK, fmt.Sprintf("%s, in the runbook's account %s", arn, account)
	}
	return c, arn, account, false
}

// readyTeam checks the lock table and the audit bucket of a runbook with
// [runbook.team]: a live run cannot start without them.
func readyTeam(ctx context.Context, clients *awsclient.Factory, plan *runbooks.RunPlan) []readyCheck {
	cfg, ok := teamConfig(plan)
	if !ok {
		return nil
	}
	table := readyCheck{Check: "team lock table " + cfg.LockTable, Call: "dynamodb:DescribeTable", Region: cfg.Region}
	bucket := readyCheck{Check: "team audit bucket " + cfg.AuditBucket, Call: "s3:GetObjectLockConfiguration", Region: cfg.Region}
	store, err := team.Open(clients, cfg)
	if err != nil {
		table.Status, table.Detail = readyUnknown, err.Error()
		bucket.Status, bucket.Detail = readyUnknown, err.Error()
		return []readyCheck{table, bucket}
	}
	teamStatus(&table, store.CheckTable(ctx), "exists, keyed by pk")
	teamStatus(&bucket, store.CheckBucket(ctx), "exists, with Object Lock")
	return []readyCheck{table, bucket}
}

// teamStatus sets a team check from CheckTable's or CheckBucket's answer:
// a resource that is missing or misshapen fails; one that could not be
// read is unknown.
func teamStatus(c *readyCheck, err error, ok string) {
	var sent *smithy.OperationError
	switch {
	case err == nil:
		c.Status, c.Detail = readyOK, ok
	case !errors.Is(err, team.ErrMissing) && errors.As(err, &sent):
		c.Status, c.Detail = readyUnknown, "could not be checked: "+err.Error()
	default:
		c.Status, c.Detail = readyFailed, err.Error()
	}
}

// readyPrecondition is a precondition's line of the board.
func readyPrecondition(r steps.Readiness) readyCheck {
	c := readyCheck{Check: "precondition", Step: r.Step, Call: r.Call, Region: r.Region, Detail: r.Sentence()}
	if r.Freshness {
		c.Check = "freshness"
	}
	switch {
	case r.Later:
		c.Status = readyLater
	case r.Holds:
		c.Status = readyOK
	case r.AfterChanges != "":
		// Read before the change that is to make it hold: the run's own
		// check, when its step starts, is the one that counts.
		c.Status = readyAfterChanges
		c.Detail += "; it may hold once step " + r.AfterChanges + " has made its change"
	case r.Missing:
		// What the runbook names is gone: the check is made, and fails.
		c.Status = readyFailed
		c.Detail = fmt.Sprintf("precondition %d (%s in %s) does not hold: what it reads does not exist: %s", r.Index+1, r.Call, r.Region, r.Failure)
	case r.Unchecked:
		c.Status = readyUnknown
	case !r.Holds:
		c.Status = readyFailed
	default:
		c.Status = readyOK
	}
	return c
}

// publishReadiness puts the board's counts in CloudWatch in the recovery
// Region, the Region that must be ready. It is the one write of ready, so
// it has a factory of its own, not the dry-run one of the checks.
func publishReadiness(ctx context.Context, cfg aws.Config, rb *runbooks.Runbook, rep readyReport) error {
	clients, err := awsclient.NewFactory(awsclient.Options{Config: cfg, ReadOnly: steps.ReadOnly})
	if err != nil {
		return err
	}
	datum := func(name string, v int) any {
		return map[string]any{"MetricName": name, "Value": float64(v), "Unit": "Count",
			"Dimensions": []any{map[string]any{"Name": "Runbook", "Value": rb.ID}}}
	}
	_, err = clients.Invoke(ctx, "cloudwatch", rb.Regions.Recovery, "PutMetricData", map[string]any{"Namespace": "drpilot",
		"MetricData": []any{datum("ReadinessHeld", rep.Held), datum("ReadinessTotal", rep.Total)}})
	return err
}
