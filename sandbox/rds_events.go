package sandbox

import (
	"slices"
	"sort"
	"time"
)

// RDS's events: what RDS records about its instances and snapshots as they
// change, which DescribeEvents lists. A change that takes simulated time
// records its finishing event at the moment it finishes, dated in the
// future until then: DescribeEvents lists only the events that have
// happened by now, so nothing has to run when the moment comes.

type rdsEvent struct {
	At                 time.Time
	Source, SourceType string // identifier; db-instance or db-snapshot
	Message            string
	Categories         []string
}

// rdsEventsKept is how long RDS keeps events: 14 days.
const rdsEventsKept = 14 * 24 * time.Hour

// dbEvent records an event of the call's Region about an instance, after
// the given delay.
func (c *call) dbEvent(id string, after time.Duration, category, message string) {
	r := c.rds()
	r.events = append(r.events, rdsEvent{At: c.now.Add(after), Source: id, SourceType: "db-instance", Message: message, Categories: []string{category}})
}

// snapshotEvent records an event about a DB snapshot.
func (c *call) snapshotEvent(id string, after time.Duration, category, message string) {
	r := c.rds()
	r.events = append(r.events, rdsEvent{At: c.now.Add(after), Source: id, SourceType: "db-snapshot", Message: message, Categories: []string{category}})
}

// rdsSourceTypes are the SourceType values DescribeEvents accepts.
var rdsSourceTypes = map[string]bool{"db-instance": true, "db-parameter-group": true, "db-security-group": true, "db-snapshot": true,
	"db-cluster": true, "db-cluster-snapshot": true, "custom-engine-version": true, "db-proxy": true, "blue-green-deployment": true}

// eventWindow reads DescribeEvents' StartTime, EndTime and Duration (in
// minutes): by default the last hour, as RDS answers.
func (c *call) eventWindow() (from, to time.Time, aerr *awsError) {
	from, to = c.now.Add(-time.Hour), c.now
	start, startSet := c.input["StartTime"]
	end, endSet := c.input["EndTime"]
	if endSet {
		t, ok := restoreTime(end)
		if !ok {
			return from, to, errorf("InvalidParameterValue", "EndTime %v is not an ISO 8601 time", end)
		}
		to = t
	}
	if startSet {
		t, ok := restoreTime(start)
		if !ok {
			return from, to, errorf("InvalidParameterValue", "StartTime %v is not an ISO 8601 time", start)
		}
		from = t
	}
	minutes, durSet, aerr := integer(c.input, "Duration")
	if aerr != nil {
		return from, to, aerr
	}
	if durSet {
		if minutes < 0 {
			return from, to, errorf("InvalidParameterValue", "Duration must be a number of minutes of at least 0, not %d", minutes)
		}
		// Duration counts back from EndTime, or forward from StartTime
		// when only that is given.
		if startSet && !endSet {
			to = from.Add(time.Duration(minutes) * time.Minute)
		} else {
			from = to.Add(-time.Duration(minutes) * time.Minute)
		}
	} else if endSet && !startSet {
		from = to.Add(-time.Hour)
	}
	if to.After(c.now) {
		to = c.now // what has not happened yet is not listed
	}
	return from, to, nil
}

// rdsDescribeEvents lists the Region's events of the last hour (or of the
// window asked for), oldest first, narrowed by SourceIdentifier (which
// needs SourceType, as in RDS), SourceType and EventCategories.
func rdsDescribeEvents(c *call) (any, error) {
	source, kind := str(c.input, "SourceIdentifier"), str(c.input, "SourceType")
	if kind != "" && !rdsSourceTypes[kind] {
		return nil, errorf("InvalidParameterValue", "Invalid SourceType %q: use db-instance, db-snapshot, db-cluster, ...", kind)
	}
	if source != "" && kind == "" {
		return nil, errorf("InvalidParameterCombination", "Cannot specify source identifier without source type")
	}
	from, to, aerr := c.eventWindow()
	if aerr != nil {
		return nil, aerr
	}
	categories := map[string]bool{}
	for _, v := range list(c.input, "EventCategories") {
		if s, ok := v.(string); ok {
			categories[s] = true
		}
	}
	r := c.rds()
	r.forgetOldEvents(c.now)
	// Events are recorded when a change starts, its finish dated ahead:
	// they are listed in the order they happen.
	events := slices.Clone(r.events)
	sort.SliceStable(events, func(i, j int) bool { return events[i].At.Before(events[j].At) })
	items := []any{}
	for _, e := range events {
		if e.At.Before(from) || e.At.After(to) || source != "" && e.Source != source || kind != "" && e.SourceType != kind ||
			len(categories) > 0 && !categories[e.Categories[0]] {
			continue
		}
		kindARN := map[string]string{"db-instance": "db:", "db-snapshot": "snapshot:"}[e.SourceType]
		cats := make([]any, len(e.Categories))
		for i, cat := range e.Categories {
			cats[i] = cat
		}
		items = append(items, map[string]any{"SourceIdentifier": e.Source, "SourceType": e.SourceType, "Message": e.Message,
			"EventCategories": named("EventCategory", cats), "Date": e.At, "SourceArn": arn("rds", c.region, c.account(), kindARN+e.Source)})
	}
	return rdsPage(c, "Events", "Event", items)
}

// forgetOldEvents drops the events older than RDS keeps.
func (r *rdsRegion) forgetOldEvents(now time.Time) {
	kept := r.events[:0]
	for _, e := range r.events {
		if now.Sub(e.At) <= rdsEventsKept {
			kept = append(kept, e)
		}
	}
	r.events = kept
}
