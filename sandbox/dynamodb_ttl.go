package sandbox

import (
	"math/big"
	"time"
)

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

// Expiry. AWS deletes an expired item within a few days of its time, in
// the background, and until then reads still return it: code must not
// rely on time to live for correctness (a lease's expiry is checked in
// its condition expression), only for cleanup. The sandbox is stricter
// and quicker: once the table's time to live is ENABLED, an item whose
// attribute is a number of epoch seconds before the simulated now is gone
// for every read, and the next write to the table deletes it. An item
// without the attribute, with one that is not a number, or with a time
// more than five years past, never expires.

// expired reports whether time to live has removed an item by now.
func (t *table) expired(item map[string]any, now time.Time) bool {
	if t.ttlAttr == "" || t.ttlStatus(now) != "ENABLED" {
		return false
	}
	av, ok := item[t.ttlAttr].(map[string]any)
	if !ok || avType(av) != "N" {
		return false
	}
	at, ok := parseNumber(str(av, "N"))
	// AWS skips an item whose time is more than five years past (a
	// mistake, such as 0, rather than an expiry), and so does the sandbox.
	oldest := new(big.Rat).SetInt64(now.AddDate(-5, 0, 0).Unix())
	return ok && at.Cmp(new(big.Rat).SetInt64(now.Unix())) < 0 && at.Cmp(oldest) >= 0
}

// live is the item under a key, unless there is none or it expired.
func (t *table) live(key string, now time.Time) map[string]any {
	item, ok := t.items[key]
	if !ok || t.expired(item, now) {
		return nil
	}
	return item
}

// sweep deletes the expired items, as a write's first step: reads only
// skip them, so that a read changes nothing.
func (t *table) sweep(now time.Time) {
	for k, item := range t.items {
		if t.expired(item, now) {
			delete(t.items, k)
		}
	}
}

// liveCount is the number of items not expired.
func (t *table) liveCount(now time.Time) int {
	n := 0
	for _, item := range t.items {
		if !t.expired(item, now) {
			n++
		}
	}
	return n
}
