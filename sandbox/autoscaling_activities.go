package sandbox

import (
	"fmt"
	"slices"
	"time"
)

// asgActivity is one launch or termination of a group, as
// DescribeScalingActivities answers it.
type asgActivity struct {
	ID, Description, Cause string
	Start, End             time.Time
}

// asgActivitiesKept bounds a group's history, as AWS keeps six weeks.
const asgActivitiesKept = 1000

// record adds an activity that starts now and ends after took.
func (g *asgGroup) record(now time.Time, took time.Duration, description, cause string) {
	id := fmt.Sprintf("%08x-%04x-4000-8000-%012x", fnv32(g.ARN), len(g.activities)&0xffff, now.UnixNano()&0xffffffffffff)
	g.activities = append(g.activities, asgActivity{ID: id, Description: description, Start: now, End: now.Add(took),
		Cause: "At " + now.UTC().Format(time.RFC3339) + " " + cause + "."})
	if len(g.activities) > asgActivitiesKept {
		g.activities = g.activities[len(g.activities)-asgActivitiesKept:]
	}
}

func (c *call) activityValue(g *asgGroup, a asgActivity) map[string]any {
	v := map[string]any{"ActivityId": a.ID, "AutoScalingGroupName": g.Name, "AutoScalingGroupARN": g.ARN, "Description": a.Description,
		"Cause": a.Cause, "StartTime": a.Start, "StatusCode": "InProgress", "Progress": 50}
	if !c.now.Before(a.End) {
		v["StatusCode"], v["Progress"], v["EndTime"] = "Successful", 100, a.End
	}
	return v
}

// asgDescribeScalingActivities lists activities newest first, of one
// group or of every group, or the ones ActivityIds names.
func asgDescribeScalingActivities(c *call) (any, error) {
	r := c.autoscaling()
	name := str(c.input, "AutoScalingGroupName")
	want := ids(c.input, "ActivityIds")
	var groups []*asgGroup
	if name != "" {
		g, ok := r.groups[name]
		if !ok {
			return nil, errorf("ValidationError", "AutoScalingGroup name not found - %s", name)
		}
		groups = []*asgGroup{g}
	} else {
		for _, n := range sortedKeys(r.groups) {
			groups = append(groups, r.groups[n])
		}
	}
	type dated struct {
		at time.Time
		v  map[string]any
	}
	var all []dated
	for _, g := range groups {
		for _, a := range g.activities {
			if len(want) == 0 || want[a.ID] {
				all = append(all, dated{a.Start, c.activityValue(g, a)})
			}
		}
	}
	slices.SortStableFunc(all, func(a, b dated) int { return b.at.Compare(a.at) }) // newest first
	items := make([]any, len(all))
	for i, d := range all {
		items[i] = d.v
	}
	return listPage("Activities", "NextToken", c.input, "MaxRecords", "NextToken", items, pageLimits{def: 100, min: 1, max: 100, validation: "ValidationError", code: "ValidationError"})
}
