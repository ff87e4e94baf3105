package steps

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The AWS FIS actions. StartExperiment takes a client token, which makes
// a retried or resumed start safe; StopExperiment does not, and FIS
// refuses to stop an experiment that has ended, so the stop checks first.

// An experiment starts within a minute; its actions may run for long.
const (
	fisPollInterval    = 10 * time.Second
	fisPollMaxInterval = 60 * time.Second
)

// fisEnded are the states an experiment does not leave.
var fisEnded = map[string]bool{"completed": true, "stopped": true, "failed": true, "cancelled": true}

// planFISStartExperiment reads the template, notes what it does for the
// approver, and plans StartExperiment with the step's client token.
func planFISStartExperiment(ctx context.Context, s *StepRun) ([]request, error) {
	id := s.String("experiment_template_id")
	out, err := s.Read(ctx, "fis:GetExperimentTemplate", map[string]any{"Id": id})
	if errorCode(err) == "ResourceNotFoundException" {
		return nil, fmt.Errorf("experiment template %s does not exist in %s: check experiment_template_id and the step's region", id, s.Region())
	}
	if err != nil {
		return nil, fmt.Errorf("read experiment template %s: %w", id, err)
	}
	t := respMap(out["ExperimentTemplate"])
	for _, line := range describeTemplate(t) {
		s.Note("experiment template %s %s", id, line)
	}
	in := s.Input()
	in["ClientToken"] = s.Token()
	// No Id: FIS chooses it, and a later step that names it reads where
	// it would have come from.
	guess := map[string]any{"ExperimentTemplateId": id, "RoleArn": t["RoleArn"],
		"State": map[string]any{"Status": "initiating", "Reason": "simulated: the experiment was not started"}}
	return []request{s.primaryRequest("fis:StartExperiment", in, map[string]any{"Experiment": guess})}, nil
}

// describeTemplate says what an experiment template will do, in one line
// each for its actions, its targets and its stop conditions.
func describeTemplate(t map[string]any) []string {
	var actions, targets, stops []string
	list := func(m map[string]any, each func(name string, v map[string]any) string) []string {
		var out []string
		for _, name := range slices.Sorted(maps.Keys(m)) {
			out = append(out, each(name, respMap(m[name])))
		}
		return out
	}
	actions = list(respMap(t["Actions"]), func(name string, a map[string]any) string {
		s := name + " (" + respString(a, "ActionId")
		if d := respString(respMap(a["Parameters"]), "duration"); d != "" {
			s += " for " + d
		}
		if on := slices.Sorted(maps.Keys(respMap(a["Targets"]))); len(on) > 0 {
			s += " on " + strings.Join(on, ", ")
		}
		if after := respList(a, "StartAfter"); len(after) > 0 {
			s += fmt.Sprintf(" after %v", after)
		}
		return s + ")"
	})
	targets = list(respMap(t["Targets"]), func(name string, tg map[string]any) string {
		which := fmt.Sprintf("%d by ARN", len(respList(tg, "ResourceArns")))
		if tags := respMap(tg["ResourceTags"]); len(tags) > 0 {
			which = fmt.Sprintf("tagged %v", tags)
		}
		return fmt.Sprintf("%s (%s, %s, selection %s)", name, respString(tg, "ResourceType"), which, respString(tg, "SelectionMode"))
	})
	for _, c := range respList(t, "StopConditions") {
		if sc := respMap(c); respString(sc, "Source") != "none" {
			stops = append(stops, strings.TrimSpace(respString(sc, "Source")+" "+respString(sc, "Value")))
		}
	}
	stop := "stop conditions: " + strings.Join(stops, "; ")
	if len(stops) == 0 {
		stop = "has no stop condition: nothing stops the experiment before its actions end but a person (fis.stop-experiment)"
	}
	return []string{"actions: " + strings.Join(actions, "; "), "targets: " + strings.Join(targets, "; "), stop}
}

// runFISStartExperiment sends the planned StartExperiment and waits until
// the experiment is running, or completed.
func runFISStartExperiment(ctx context.Context, s *StepRun) (map[string]any, error) {
	template, completed := s.String("experiment_template_id"), s.String("wait") == "completed"
	r, _, err := s.plannedRequest(ctx)
	if err != nil {
		return nil, err
	}
	started, err := s.send(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("start an experiment from template %s: %w", template, err)
	}
	id := respString(respMap(started["Experiment"]), "Id")
	if id == "" && !s.Simulated() {
		return nil, fmt.Errorf("StartExperiment answered without an experiment id: find the experiment of template %s in the FIS console (Experiments)", template)
	}
	return s.Wait(ctx, WaitSpec{
		Operation: "fis:GetExperiment", Input: map[string]any{"Id": id},
		Check: experimentReached(id, completed), Delays: pollDelays{fisPollInterval, fisPollMaxInterval},
	})
}

// experimentReached is the Check of the start's wait.
func experimentReached(id string, completed bool) func(map[string]any) (string, bool, error) {
	return func(out map[string]any) (string, bool, error) {
		status, reason := experimentState(out)
		switch {
		case status == "completed":
			return status, true, nil
		case fisEnded[status]:
			return status, false, fmt.Errorf("experiment %s is %s: %s", id, status, reason)
		}
		return status, status == "running" && !completed, nil
	}
}

// experimentState is a GetExperiment answer's status and reason.
func experimentState(out map[string]any) (string, string) {
	st := respMap(respMap(out["Experiment"])["State"])
	return respString(st, "Status"), orUnknown(respString(st, "Reason"))
}

// runFISStopExperiment stops an experiment unless it has ended or is
// stopping, then waits until it has ended.
func runFISStopExperiment(ctx context.Context, s *StepRun) (map[string]any, error) {
	id := s.String("experiment_id")
	// In a dry run the experiment a start step made was only simulated:
	// its id is a placeholder FIS would refuse as malformed, not a
	// missing experiment, so it is not asked about.
	if s.DryRun() && simulatedIn(id) != "" {
		s.Note("dry-run: experiment %s comes from a simulated start; a live run stops the experiment that start makes", id)
		return simulateAbsent(s, map[string]any{"Experiment": map[string]any{"State": map[string]any{"Status": "stopped"}}}), nil
	}
	out, err := s.Read(ctx, "fis:GetExperiment", map[string]any{"Id": id})
	if missingInDryRun(s, err, "experiment "+id) {
		return simulateAbsent(s, map[string]any{"Experiment": map[string]any{"Id": id, "State": map[string]any{"Status": "stopped"}}}), nil
	}
	if errorCode(err) == "ResourceNotFoundException" {
		return nil, fmt.Errorf("experiment %s does not exist in %s: check experiment_id and the step's region", id, s.Region())
	}
	if err != nil {
		return nil, fmt.Errorf("look up experiment %s: %w", id, err)
	}
	switch status, reason := experimentState(out); {
	case fisEnded[status]:
		s.Note("experiment %s has already ended (%s: %s): nothing to stop", id, status, reason)
		return out, nil
	case status == "stopping":
		s.Note("experiment %s is already stopping: waiting for it instead of stopping it again", id)
	default:
		guess := maps.Clone(respMap(out["Experiment"]))
		guess["State"] = map[string]any{"Status": "stopping", "Reason": "simulated: the experiment was not stopped"}
		if _, err := s.Mutate(ctx, "fis:StopExperiment", s.Input(), map[string]any{"Experiment": guess}); err != nil {
			return nil, fmt.Errorf("stop experiment %s: %w", id, err)
		}
	}
	return s.Wait(ctx, WaitSpec{
		Operation: "fis:GetExperiment", Input: map[string]any{"Id": id},
		Check: func(out map[string]any) (string, bool, error) {
			status, _ := experimentState(out)
			return status, fisEnded[status], nil
		},
		Delays: pollDelays{fisPollInterval, fisPollMaxInterval},
	})
}
