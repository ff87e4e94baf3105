package sandbox

import "time"

// dynamoTTLChange is how long turning time to live on or off takes in
// simulated time (AWS says up to an hour).
const dynamoTTLChange = 10 * time.Minute

func (t *table) ttlStatus(now time.Time) string {
	if st := t.ttl.state(now); st != "" {
		return st
	}
	return "DISABLED"
}

// dynamoUpdateTimeToLive turns time to live on or off: a restored table
// has it off, and a runbook turns it back on.
func dynamoUpdateTimeToLive(c *call) (any, error) {
	t, err := c.findTable("ResourceNotFoundException")
	if err != nil {
		return nil, err
	}
	spec := obj(c.input, "TimeToLiveSpecification")
	enabled, ok := boolean(spec, "Enabled")
	attr := str(spec, "AttributeName")
	if !ok || attr == "" {
		return nil, errorf("ValidationException", "TimeToLiveSpecification needs Enabled and AttributeName")
	}
	switch status := t.ttlStatus(c.now); {
	case status == "ENABLING" || status == "DISABLING":
		return nil, errorf("ValidationException", "Time to live is being changed (%s); try again later", status)
	case enabled && status == "ENABLED":
		return nil, errorf("ValidationException", "TimeToLive is already enabled")
	case !enabled && status == "DISABLED":
		return nil, errorf("ValidationException", "TimeToLive is already disabled")
	}
	if enabled {
		t.ttlAttr = attr
		t.ttl.set(c.now, "ENABLING", dynamoTTLChange, "ENABLED")
	} else {
		t.ttl.set(c.now, "DISABLING", dynamoTTLChange, "DISABLED")
	}
	return map[string]any{"TimeToLiveSpecification": map[string]any{"Enabled": enabled, "AttributeName": attr}}, nil
}

func dynamoDescribeTimeToLive(c *call) (any, error) {
	t, err := c.findTable("ResourceNotFoundException")
	if err != nil {
		return nil, err
	}
	d := map[string]any{"TimeToLiveStatus": t.ttlStatus(c.now)}
	if t.ttlAttr != "" {
		d["AttributeName"] = t.ttlAttr
	}
	return map[string]any{"TimeToLiveDescription": d}, nil
}
