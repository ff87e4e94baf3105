package sandbox

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Incident Manager has no state machine the sandbox simulates: an incident
// record is OPEN from StartIncident on. Response plans can be created and
// read (CreateResponsePlan, GetResponsePlan: what a runbook checks before
// it opens an incident), but StartIncident does not require one: it takes
// any well-formed response plan ARN, and what a plan would give (title,
// impact) comes from the call or these defaults.
const (
	// incidentDefaultImpact is 3, Medium, for a call that gives none.
	incidentDefaultImpact = 3
	// incidentManualSource is the source of an incident started by a
	// person or a tool rather than an alarm or an event.
	incidentManualSource = "aws.ssm-incidents.custom"
	// incidentTitleMax is the longest title the API takes.
	incidentTitleMax = 200
	// incidentListMax is ListIncidentRecords' largest page.
	incidentListMax = 100
)

// incidentPlanRE matches a response plan ARN; Incident Manager's ARNs name
// no Region.
var incidentPlanRE = regexp.MustCompile(`^arn:aws[a-z-]*:ssm-incidents:[a-z0-9-]*:\d{12}:response-plan/([A-Za-z0-9_-]{1,200})$`)

// incidentsRegion holds the incident records started in a Region: the
// sandbox does not simulate a replication set, so a record is found in
// the Region it was started in.
type incidentsRegion struct {
	records map[string]*incidentRecord // by ARN
	tokens  map[string]string          // clientToken → ARN
}

type incidentRecord struct {
	ARN, Title, Plan, CreatedBy, Source, TriggerArn string
	Impact                                          int64
	Created                                         time.Time
	Related                                         []any
}

func (r *incidentsRegion) dump(time.Time) any {
	records := map[string]any{}
	for a, rec := range r.records {
		records[a] = map[string]any{"title": rec.Title, "status": "OPEN", "impact": rec.Impact, "source": rec.Source,
			"response_plan": rec.Plan, "created": rec.Created, "related_items": len(rec.Related)}
	}
	return map[string]any{"incident_records": records}
}

func incidentsState(c *call) *incidentsRegion {
	return stateOf(c.sb, "ssm-incidents", c.region, func() *incidentsRegion {
		return &incidentsRegion{records: map[string]*incidentRecord{}, tokens: map[string]string{}}
	})
}

func registerIncidents(s *Sandbox) {
	s.addService(&service{name: "ssm-incidents", protocol: restJSONProtocol{}, throttleCode: "ThrottlingException", throttleStatus: 429},
		&operation{name: "StartIncident", mutating: true, method: "POST", path: "/startIncident", handler: incidentsStart},
		&operation{name: "GetIncidentRecord", method: "GET", path: "/getIncidentRecord", handler: incidentsGet},
		&operation{name: "ListIncidentRecords", method: "POST", path: "/listIncidentRecords", handler: incidentsList},
		&operation{name: "CreateResponsePlan", mutating: true, method: "POST", path: "/createResponsePlan", handler: incidentsCreatePlan},
		&operation{name: "GetResponsePlan", method: "GET", path: "/getResponsePlan", handler: incidentsGetPlan},
	)
}

// incidentsStart opens an incident. A clientToken seen before returns the
// record it opened, as a retried call must not open a second incident.
func incidentsStart(c *call) (any, error) {
	plan, err := required(c.input, "responsePlanArn", "ValidationException")
	if err != nil {
		return nil, err
	}
	m := incidentPlanRE.FindStringSubmatch(plan)
	if m == nil {
		return nil, errorf("ValidationException", "responsePlanArn %q is not a response plan ARN", plan)
	}
	r := incidentsState(c)
	token := str(c.input, "clientToken")
	if a, ok := r.tokens[token]; ok && token != "" {
		return map[string]any{"incidentRecordArn": a}, nil
	}
	impact, set, aerr := integer(c.input, "impact")
	if aerr != nil || (set && (impact < 1 || impact > 5)) {
		return nil, errorf("ValidationException", "impact must be an integer from 1 (critical) to 5 (no impact)")
	}
	if !set {
		impact = incidentDefaultImpact
	}
	title := str(c.input, "title")
	if title == "" {
		title = m[1]
	}
	if len(title) > incidentTitleMax {
		return nil, errorf("ValidationException", "title must be at most %d characters", incidentTitleMax)
	}
	trigger := obj(c.input, "triggerDetails")
	source := str(trigger, "source")
	if source == "" {
		source = incidentManualSource
	}
	// The record's id is the request's: unique, and UUID-shaped as AWS's.
	rec := &incidentRecord{ARN: arn("ssm-incidents", "", c.account(), "incident-record/"+m[1]+"/"+strings.ToLower(c.requestID)),
		Title: title, Plan: plan, Impact: impact, Created: c.now, Source: source, TriggerArn: str(trigger, "triggerArn"),
		CreatedBy: c.callerARN(), Related: list(c.input, "relatedItems")}
	r.records[rec.ARN] = rec
	if token != "" {
		r.tokens[token] = rec.ARN
	}
	return map[string]any{"incidentRecordArn": rec.ARN}, nil
}

// incidentsList lists the Region's incident records, newest first, as
// summaries. Of ListIncidentRecords' filters it applies the ones its API
// documents: creationTime (before, after), and status, impact and
// createdBy (equals, any of the values); several filters must all match.
func incidentsList(c *call) (any, error) {
	keep, aerr := incidentFilters(list(c.input, "filters"))
	if aerr != nil {
		return nil, aerr
	}
	r := incidentsState(c)
	var recs []*incidentRecord
	for _, rec := range r.records {
		if keep(rec) {
			recs = append(recs, rec)
		}
	}
	slices.SortFunc(recs, func(a, b *incidentRecord) int {
		if d := b.Created.Compare(a.Created); d != 0 {
			return d
		}
		return strings.Compare(a.ARN, b.ARN)
	})
	items := make([]any, len(recs))
	for i, rec := range recs {
		items[i] = map[string]any{"arn": rec.ARN, "title": rec.Title, "status": "OPEN", "impact": rec.Impact,
			"creationTime": rec.Created, "incidentRecordSource": rec.source()}
	}
	page, next, err := paginate(c.input, "maxResults", "nextToken", items, pageLimits{def: incidentListMax, min: 1, max: incidentListMax, validation: "ValidationException"})
	if err != nil {
		return nil, errorf("ValidationException", "%s", asAWSError(err).Message)
	}
	out := map[string]any{"incidentRecordSummaries": append([]any{}, page...)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// incidentFilters reads ListIncidentRecords' filters into one test.
func incidentFilters(filters []any) (func(*incidentRecord) bool, *awsError) {
	var tests []func(*incidentRecord) bool
	for _, f := range filters {
		key, cond := str(asMap(f), "key"), obj(asMap(f), "condition")
		if key == "creationTime" {
			for _, side := range []string{"before", "after"} {
				if v, ok := cond[side].(float64); ok {
					at, before := time.UnixMilli(int64(v*1000)), side == "before"
					tests = append(tests, func(r *incidentRecord) bool {
						return before && r.Created.Before(at) || !before && r.Created.After(at)
					})
				}
			}
			continue
		}
		equals := obj(cond, "equals")
		var values []string
		for _, v := range append(list(equals, "stringValues"), list(equals, "integerValues")...) {
			values = append(values, str(map[string]any{"v": v}, "v"))
		}
		var field func(*incidentRecord) string
		switch key {
		case "status":
			field = func(*incidentRecord) string { return "OPEN" }
		case "impact":
			field = func(r *incidentRecord) string { return strconv.FormatInt(r.Impact, 10) }
		case "createdBy":
			field = func(r *incidentRecord) string { return r.CreatedBy }
		default:
			return nil, errorf("ValidationException", "filter key %q is not one of creationTime, impact, status, createdBy", key)
		}
		if values == nil {
			return nil, errorf("ValidationException", "filter %s needs a condition: equals (stringValues or integerValues), or for creationTime before or after", key)
		}
		tests = append(tests, func(r *incidentRecord) bool { return slices.Contains(values, field(r)) })
	}
	return func(r *incidentRecord) bool {
		for _, t := range tests {
			if !t(r) {
				return false
			}
		}
		return true
	}, nil
}

// source is the record's incidentRecordSource.
func (rec *incidentRecord) source() map[string]any {
	source := map[string]any{"createdBy": rec.CreatedBy, "source": rec.Source}
	if rec.TriggerArn != "" {
		source["resourceArn"] = rec.TriggerArn
	}
	return source
}

func incidentsGet(c *call) (any, error) {
	a, err := required(c.input, "arn", "ValidationException")
	if err != nil {
		return nil, err
	}
	rec, ok := incidentsState(c).records[a]
	if !ok {
		return nil, notFound("ResourceNotFoundException", "Incident record %s not found", a)
	}
	return map[string]any{"incidentRecord": map[string]any{
		"arn": rec.ARN, "title": rec.Title, "status": "OPEN", "impact": rec.Impact,
		"creationTime": rec.Created, "lastModifiedTime": rec.Created, "lastModifiedBy": rec.CreatedBy,
		"incidentRecordSource": rec.source(),
		// A response plan's template would give the dedupe string; without
		// one it is empty, as AWS's is for a plan that sets none.
		"dedupeString": "",
	}}, nil
}
