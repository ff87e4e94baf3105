package sandbox

import (
	"fmt"
	"slices"
	"strings"
)

// reversedName is a DNS name with its labels in reverse order, the order
// ListHostedZonesByName sorts by (com.example.www.).
func reversedName(name string) string {
	labels := strings.Split(strings.TrimSuffix(strings.ToLower(name), "."), ".")
	slices.Reverse(labels)
	return strings.Join(labels, ".")
}

// r53ListHostedZonesByName lists zones sorted by reversed name, then id,
// from dnsname (and hostedzoneid) on, as Route 53 does.
func r53ListHostedZonesByName(c *call) (any, error) {
	r := c.route53()
	name, startID := str(c.input, "dnsname"), str(c.input, "hostedzoneid")
	if startID != "" && name == "" {
		return nil, errorf("InvalidInput", "hostedzoneid needs a dnsname to start from")
	}
	max, set, err := integer(c.input, "maxitems")
	if err != nil {
		return nil, err
	}
	if !set {
		max = 100
	}
	if max < 1 || max > 100 {
		return nil, errorf("InvalidInput", "maxitems must be from 1 to 100")
	}
	zones := make([]*hostedZone, 0, len(r.zones))
	for _, id := range r.order {
		zones = append(zones, r.zones[id])
	}
	slices.SortStableFunc(zones, func(a, b *hostedZone) int {
		if c := strings.Compare(reversedName(a.Name), reversedName(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	from := reversedName(name)
	items := []any{}
	var next *hostedZone
	for _, z := range zones {
		rn := reversedName(z.Name)
		if name != "" && (rn < from || rn == from && startID != "" && z.ID < strings.TrimPrefix(startID, "/hostedzone/")) {
			continue
		}
		if int64(len(items)) == max {
			next = z
			break
		}
		items = append(items, zoneValue(z))
	}
	out := map[string]any{"HostedZones": named("HostedZone", items), "IsTruncated": next != nil, "MaxItems": fmt.Sprint(max)}
	if name != "" {
		out["DNSName"] = name
	}
	if startID != "" {
		out["HostedZoneId"] = startID
	}
	if next != nil {
		out["NextDNSName"], out["NextHostedZoneId"] = next.Name, next.ID
	}
	return out, nil
}

// r53ListHealthChecks lists the health checks by id.
func r53ListHealthChecks(c *call) (any, error) {
	r := c.route53()
	items := []any{}
	for _, id := range sortedKeys(r.checks) {
		items = append(items, healthCheckValue(r.checks[id]))
	}
	page, next, err := paginate(c.input, "maxitems", "marker", items, pageLimits{def: 100, min: 1, max: 1000, capped: true})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"HealthChecks": named("HealthCheck", page), "IsTruncated": next != "",
		"MaxItems": fmt.Sprint(len(page)), "Marker": str(c.input, "marker")}
	if next != "" {
		out["NextMarker"] = next
	}
	return out, nil
}
