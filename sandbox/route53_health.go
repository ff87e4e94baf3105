package sandbox

import (
	"fmt"
	"net/http"
	"strings"
)

// healthCheckFields are the HealthCheckConfig members the sandbox keeps,
// in the order UpdateHealthCheck may change them.
var healthCheckFields = []string{"IPAddress", "Port", "Type", "ResourcePath", "FullyQualifiedDomainName",
	"SearchString", "RequestInterval", "FailureThreshold", "MeasureLatency", "Inverted", "Disabled", "EnableSNI"}

func healthCheckValue(h *healthCheck) map[string]any {
	return map[string]any{"Id": h.ID, "CallerReference": h.CallerRef, "HealthCheckConfig": h.Config,
		"HealthCheckVersion": h.Version}
}

func r53CreateHealthCheck(c *call) (any, error) {
	ref, err := required(c.input, "CallerReference", "InvalidInput")
	if err != nil {
		return nil, err
	}
	in := obj(c.input, "HealthCheckConfig")
	typ := str(in, "Type")
	switch typ {
	case "HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP":
	default:
		return nil, errorf("InvalidInput", "HealthCheckConfig.Type %q: the sandbox simulates HTTP, HTTPS, HTTP_STR_MATCH, HTTPS_STR_MATCH and TCP checks", typ)
	}
	if str(in, "IPAddress") == "" && str(in, "FullyQualifiedDomainName") == "" {
		return nil, errorf("InvalidInput", "a health check needs an IPAddress or a FullyQualifiedDomainName")
	}
	r := c.route53()
	// Health checks' caller references are theirs: a zone may have the same.
	if id, used := r.refs[healthCheckRef(ref)]; used {
		if h, ok := r.checks[id]; ok {
			return map[string]any{"HealthCheck": healthCheckValue(h)}, nil // idempotent by reference
		}
		return nil, errorf("HealthCheckAlreadyExists", "the caller reference %s is in use", ref)
	}
	cfg := map[string]any{"RequestInterval": "30", "FailureThreshold": "3", "Inverted": "false", "Disabled": "false", "MeasureLatency": "false"}
	for _, k := range healthCheckFields {
		if v := str(in, k); v != "" {
			cfg[k] = v
		}
	}
	h := &healthCheck{ID: c.idOr(newUUID(r)), CallerRef: ref, Config: cfg, Version: 1}
	r.checks[h.ID], r.refs[healthCheckRef(ref)] = h, h.ID
	return map[string]any{"HealthCheck": healthCheckValue(h)}, nil
}

// newUUID makes a health check id, which Route 53 writes as a UUID.
func newUUID(r *route53State) string {
	h := strings.ToLower(r.newID("", 26)) + "000000"
	return fmt.Sprintf("%s-%s-4%s-a%s-%s", h[:8], h[8:12], h[12:15], h[15:18], h[18:30])
}

func (c *call) healthCheck() (*healthCheck, *awsError) {
	id := str(c.input, "HealthCheckId")
	h, ok := c.route53().checks[id]
	if !ok {
		return nil, notFound("NoSuchHealthCheck", "No health check exists with the specified ID %s.", id)
	}
	return h, nil
}

func r53GetHealthCheck(c *call) (any, error) {
	h, err := c.healthCheck()
	if err != nil {
		return nil, err
	}
	return map[string]any{"HealthCheck": healthCheckValue(h)}, nil
}

// r53UpdateHealthCheck changes a health check's configuration: inverting
// or disabling a check is how a runbook fails traffic over through
// Route 53's data plane.
func r53UpdateHealthCheck(c *call) (any, error) {
	h, err := c.healthCheck()
	if err != nil {
		return nil, err
	}
	if v, set, aerr := integer(c.input, "HealthCheckVersion"); aerr != nil {
		return nil, aerr
	} else if set && v != h.Version {
		return nil, &awsError{Code: "HealthCheckVersionMismatch", Status: http.StatusConflict,
			Message: fmt.Sprintf("the health check is at version %d, not %d", h.Version, v)}
	}
	for _, k := range healthCheckFields {
		if v := str(c.input, k); v != "" && k != "Type" {
			h.Config[k] = v
		}
	}
	h.Version++
	return map[string]any{"HealthCheck": healthCheckValue(h)}, nil
}

// r53GetHealthCheckStatus reports what each checker Region sees. A check
// is tied to the Region named in its domain name or resource path (an
// ELB name such as my-alb.us-east-1.elb.amazonaws.com, or
// /_sandbox/app/us-east-1/health) and fails while that Region is out. As
// in AWS, observations are the checkers' raw results: Inverted changes
// the check's health, not what the checkers saw.
func r53GetHealthCheckStatus(c *call) (any, error) {
	h, err := c.healthCheck()
	if err != nil {
		return nil, err
	}
	status := "Success: HTTP Status Code 200, OK"
	if !c.sb.checkersSeeUp(h) {
		status = "Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall."
	}
	obs := make([]any, 0, len(route53Checkers))
	for i, region := range route53Checkers {
		obs = append(obs, map[string]any{"Region": region, "IPAddress": fmt.Sprintf("15.177.%d.%d", i*8, 11+i),
			"StatusReport": map[string]any{"Status": status, "CheckedTime": c.now}})
	}
	return map[string]any{"HealthCheckObservations": named("HealthCheckObservation", obs)}, nil
}

// checkersSeeUp reports what Route 53's checkers see of a health check's
// endpoint: down while the Region its domain name or resource path names
// is out, unless the check is disabled.
func (s *Sandbox) checkersSeeUp(h *healthCheck) bool {
	target := regionIn(str(h.Config, "FullyQualifiedDomainName") + " " + str(h.Config, "ResourcePath"))
	return target == "" || s.appUp(target) || str(h.Config, "Disabled") == "true"
}

// healthCheckHealthy is the health Route 53's DNS answers act on: what
// the checkers see, turned around by Inverted. A disabled check is
// healthy, as in AWS, and a disabled, inverted one is unhealthy whatever
// its endpoint says: the way to pin failover records to their secondary
// through the data plane.
func (s *Sandbox) healthCheckHealthy(h *healthCheck) bool {
	inverted := str(h.Config, "Inverted") == "true"
	if str(h.Config, "Disabled") == "true" {
		return !inverted
	}
	return s.checkersSeeUp(h) != inverted
}

// healthCheckRef keys a health check's caller reference apart from the
// hosted zones' in the one table of references.
func healthCheckRef(ref string) string { return "healthcheck/" + ref }
