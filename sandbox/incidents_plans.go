package sandbox

import (
	"net/http"
	"time"
)

// responsePlan is an Incident Manager response plan: who an incident
// engages and what it opens with. Plans are global in Incident Manager
// (their ARNs name no Region), so they are kept once for all Regions.
type responsePlan struct {
	ARN, Name, DisplayName string
	Template               map[string]any
	Engagements            []any
}

type responsePlans struct {
	plans map[string]*responsePlan // by ARN
}

func (p *responsePlans) dump(time.Time) any { return map[string]any{"response_plans": len(p.plans)} }

func (c *call) responsePlans() *responsePlans {
	return stateOf(c.sb, "ssm-incidents-plans", "global", func() *responsePlans { return &responsePlans{plans: map[string]*responsePlan{}} })
}

func incidentsCreatePlan(c *call) (any, error) {
	name, err := required(c.input, "name", "ValidationException")
	if err != nil {
		return nil, err
	}
	template := obj(c.input, "incidentTemplate")
	if template == nil || str(template, "title") == "" {
		return nil, errorf("ValidationException", "incidentTemplate with a title is required")
	}
	plans := c.responsePlans()
	planARN := c.idOr(arn("ssm-incidents", "", c.account(), "response-plan/"+name))
	if _, exists := plans.plans[planARN]; exists {
		return nil, &awsError{Code: "ConflictException", Message: "a response plan named " + name + " already exists", Status: http.StatusConflict}
	}
	plans.plans[planARN] = &responsePlan{ARN: planARN, Name: name, DisplayName: str(c.input, "displayName"),
		Template: template, Engagements: list(c.input, "engagements")}
	return map[string]any{"arn": planARN}, nil
}

func incidentsGetPlan(c *call) (any, error) {
	planARN, err := required(c.input, "arn", "ValidationException")
	if err != nil {
		return nil, err
	}
	p, ok := c.responsePlans().plans[planARN]
	if !ok {
		return nil, notFound("ResourceNotFoundException", "Response plan %s not found", planARN)
	}
	engagements := p.Engagements
	if engagements == nil {
		engagements = []any{}
	}
	return map[string]any{"arn": p.ARN, "name": p.Name, "displayName": p.DisplayName, "incidentTemplate": p.Template,
		"engagements": engagements, "actions": []any{}, "integrations": []any{}}, nil
}
