package sandbox

import (
	"slices"
	"strings"
)

// resourceTag is one tag on an RDS or EC2 resource. A resource's tags
// keep the order they were first added in, so that answers are stable.
type resourceTag struct{ Key, Value string }

// maxTags is how many tags RDS and EC2 allow on one resource.
const maxTags = 50

// mergeTags adds or replaces tags given as a Tags list member, checked as
// RDS and EC2 check them, into a copy of current: nothing changes unless
// every tag is good.
func mergeTags(current []resourceTag, tags []any, quotaCode string) ([]resourceTag, *awsError) {
	out := append([]resourceTag(nil), current...)
	for _, t := range tags {
		m, _ := t.(map[string]any)
		key := str(m, "Key")
		if key == "" {
			return nil, errorf("InvalidParameterValue", "A tag's Key must not be empty")
		}
		if strings.HasPrefix(strings.ToLower(key), "aws:") {
			return nil, errorf("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for AWS: %s", key)
		}
		replaced := false
		for i := range out {
			if out[i].Key == key {
				out[i].Value, replaced = str(m, "Value"), true
			}
		}
		if !replaced {
			out = append(out, resourceTag{Key: key, Value: str(m, "Value")})
		}
	}
	if len(out) > maxTags {
		return nil, errorf(quotaCode, "A resource may have at most %d tags", maxTags)
	}
	return out, nil
}

// rdsTagsOf returns the tags on an RDS resource, by ARN.
func (c *call) rdsTagsOf(resourceARN string) []resourceTag {
	return c.rds().tags[resourceARN]
}

// rdsTagList is the TagList member RDS puts in resources and in
// ListTagsForResource's answer.
func (c *call) rdsTagList(resourceARN string) members {
	items := []any{}
	for _, t := range c.rdsTagsOf(resourceARN) {
		items = append(items, map[string]any{"Key": t.Key, "Value": t.Value})
	}
	return named("Tag", items)
}

// addRDSTags adds or replaces tags given as a Tags list member.
func (c *call) addRDSTags(resourceARN string, tags []any) *awsError {
	r := c.rds()
	merged, err := mergeTags(r.tags[resourceARN], tags, "TagQuotaPerResourceExceeded")
	if err != nil {
		return err
	}
	if r.tags == nil {
		r.tags = map[string][]resourceTag{}
	}
	r.tags[resourceARN] = merged
	return nil
}

// taggedRDSResource checks that ResourceName is the ARN of an RDS
// resource the sandbox holds in the call's Region, and returns the ARN.
func (c *call) taggedRDSResource() (string, *awsError) {
	name, err := required(c.input, "ResourceName", "InvalidParameterValue")
	if err != nil {
		return "", err
	}
	parts := strings.SplitN(name, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "rds" {
		return "", errorf("InvalidParameterValue", "ResourceName %q is not an RDS ARN: arn:aws:rds:<region>:<account>:db:<id>", name)
	}
	if parts[3] != c.region {
		return "", errorf("InvalidParameterValue", "ResourceName %s is in %s; call %s's endpoint", name, parts[3], parts[3])
	}
	r, id := c.rds(), parts[6]
	var exists bool
	switch parts[5] {
	case "db":
		_, exists = r.instances[id]
		if !exists {
			return "", notFound("DBInstanceNotFound", "DBInstance %s not found.", id)
		}
	case "cluster":
		_, exists = c.clusters()[id]
		if !exists {
			return "", notFound("DBClusterNotFoundFault", "DBCluster %s not found.", id)
		}
	case "snapshot":
		_, exists = c.dbSnapshots()[id]
		if !exists {
			return "", notFound("DBSnapshotNotFound", "DBSnapshot %s not found.", id)
		}
	default:
		return "", errorf("InvalidParameterValue", "The sandbox tags RDS instances (db:), clusters (cluster:) and snapshots (snapshot:), not %s:", parts[5])
	}
	return name, nil
}

func rdsAddTagsToResource(c *call) (any, error) {
	resource, err := c.taggedRDSResource()
	if err != nil {
		return nil, err
	}
	if err := c.addRDSTags(resource, list(c.input, "Tags")); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func rdsRemoveTagsFromResource(c *call) (any, error) {
	resource, err := c.taggedRDSResource()
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, k := range list(c.input, "TagKeys") {
		if s, ok := k.(string); ok {
			drop[s] = true
		}
	}
	r := c.rds()
	var kept []resourceTag
	for _, t := range r.tags[resource] {
		if !drop[t.Key] {
			kept = append(kept, t)
		}
	}
	if r.tags != nil {
		r.tags[resource] = kept
	}
	return map[string]any{}, nil
}

func rdsListTagsForResource(c *call) (any, error) {
	resource, err := c.taggedRDSResource()
	if err != nil {
		return nil, err
	}
	return map[string]any{"TagList": c.rdsTagList(resource)}, nil
}

// dbInstanceFilter reads DescribeDBInstances' Filters: db-instance-id
// (identifiers or ARNs), dbi-resource-id, engine and db-cluster-id, each
// matching any of its values, all of them together.
func dbInstanceFilter(in map[string]any) (func(fields map[string][]string) bool, *awsError) {
	return rdsFilter(in, "db-instance-id", "dbi-resource-id", "engine", "db-cluster-id", "domain")
}

// rdsFilter reads the Filters of an RDS Describe call, refusing a name
// the call does not know, and returns the test of a resource's fields.
func rdsFilter(in map[string]any, known ...string) (func(fields map[string][]string) bool, *awsError) {
	wanted := map[string]map[string]bool{}
	for _, f := range list(in, "Filters") {
		m, _ := f.(map[string]any)
		name := str(m, "Name")
		if !slices.Contains(known, name) {
			return nil, errorf("InvalidParameterValue", "Unrecognized filter name: %s. Use %s", name, strings.Join(known, ", "))
		}
		values := map[string]bool{}
		for _, v := range list(m, "Values") {
			if s, ok := v.(string); ok {
				values[s] = true
			}
		}
		if len(values) == 0 {
			return nil, errorf("InvalidParameterValue", "Filter %s needs at least one value", name)
		}
		wanted[name] = values
	}
	return func(fields map[string][]string) bool {
		for name, values := range wanted {
			hit := false
			for _, v := range fields[name] {
				hit = hit || values[v]
			}
			if !hit {
				return false
			}
		}
		return true
	}, nil
}
