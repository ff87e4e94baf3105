package sandbox

import (
	"strings"
)

// ec2Tags holds a Region's EC2 tags by resource id.
type ec2Tags struct {
	byID map[string][]resourceTag
}

func (c *call) ec2Tags() *ec2Tags { return ec2TagsOf(c.sb, c.region) }

// ec2TagsOf returns a Region's EC2 tags, for other services too (an Auto
// Scaling group tags its instances). Callers hold sb.mu.
func ec2TagsOf(sb *Sandbox, region string) *ec2Tags {
	return stateOf(sb, "ec2-tags", region, func() *ec2Tags { return &ec2Tags{byID: map[string][]resourceTag{}} })
}

// ec2ResourceExists reports whether the call's Region holds the instance,
// volume or snapshot with this id, or the error EC2 gives when it does not.
func (c *call) ec2ResourceExists(id string) *awsError {
	r := c.ec2()
	var found bool
	var code string
	switch {
	case strings.HasPrefix(id, "i-"):
		_, found = r.instances[id]
		code = "InvalidInstanceID.NotFound"
	case strings.HasPrefix(id, "vol-"):
		_, found = r.volumes[id]
		code = "InvalidVolume.NotFound"
	case strings.HasPrefix(id, "snap-"):
		_, found = r.snapshots[id]
		code = "InvalidSnapshot.NotFound"
	case strings.HasPrefix(id, "vpc-"):
		found, code = id == ec2DefaultVPC(c.region), "InvalidVpcID.NotFound"
	case strings.HasPrefix(id, "sg-"):
		found, code = id == ec2DefaultGroup(c.region), "InvalidGroup.NotFound"
	default:
		return errorf("InvalidID", "The ID '%s' is not valid: the sandbox tags instances (i-), volumes (vol-), snapshots (snap-), and the default VPC (vpc-) and security group (sg-)", id)
	}
	if !found {
		return errorf(code, "The ID '%s' does not exist", id)
	}
	return nil
}

// tagEC2 adds or replaces tags given as a Tag list member.
func (c *call) tagEC2(id string, tags []any) *awsError {
	store := c.ec2Tags()
	merged, err := mergeTags(store.byID[id], tags, "TagLimitExceeded")
	if err != nil {
		return err
	}
	store.byID[id] = merged
	return nil
}

// tagSpecifications returns the tags that TagSpecifications give a
// resource type, checked, for a resource about to be created.
func (c *call) tagSpecifications(resourceType string) ([]any, *awsError) {
	var tags []any
	for _, spec := range list(c.input, "TagSpecification") {
		m, _ := spec.(map[string]any)
		if str(m, "ResourceType") == resourceType {
			tags = append(tags, list(m, "Tag")...)
		}
	}
	if _, err := mergeTags(nil, tags, "TagLimitExceeded"); err != nil {
		return nil, err
	}
	return tags, nil
}

// ec2TagSet is the tagSet member of an EC2 resource in Describe answers.
func (c *call) ec2TagSet(id string) []any {
	items := []any{}
	for _, t := range c.ec2Tags().byID[id] {
		items = append(items, map[string]any{"key": t.Key, "value": t.Value})
	}
	return items
}

// ec2TagsMatch applies the tag filters among fs to a resource: tag:KEY
// (the value of KEY is one of those given), tag-key (the resource has one
// of the keys) and tag-value. Other filters are matches' business.
func (c *call) ec2TagsMatch(id string, fs map[string][]string) bool {
	tags := c.ec2Tags().byID[id]
	for name, want := range fs {
		var have []string
		switch {
		case strings.HasPrefix(name, "tag:"):
			for _, t := range tags {
				if t.Key == name[len("tag:"):] {
					have = append(have, t.Value)
				}
			}
		case name == "tag-key":
			for _, t := range tags {
				have = append(have, t.Key)
			}
		case name == "tag-value":
			for _, t := range tags {
				have = append(have, t.Value)
			}
		default:
			continue
		}
		if !anyIn(have, want) {
			return false
		}
	}
	return true
}

func anyIn(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}

func ec2CreateTags(c *call) (any, error) {
	resources := list(c.input, "ResourceId")
	if len(resources) == 0 {
		return nil, errorf("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	for _, r := range resources {
		id, _ := r.(string)
		if err := c.ec2ResourceExists(id); err != nil {
			return nil, err
		}
	}
	for _, r := range resources {
		if err := c.tagEC2(r.(string), list(c.input, "Tag")); err != nil {
			return nil, err
		}
	}
	return map[string]any{"return": true}, nil
}

// ec2DeleteTags removes the tags named: a tag given with a value is
// removed only if it has that value, as EC2 does.
func ec2DeleteTags(c *call) (any, error) {
	resources := list(c.input, "ResourceId")
	if len(resources) == 0 {
		return nil, errorf("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	store := c.ec2Tags()
	for _, r := range resources {
		id, _ := r.(string)
		if err := c.ec2ResourceExists(id); err != nil {
			return nil, err
		}
		store.byID[id] = withoutTags(store.byID[id], list(c.input, "Tag"))
	}
	return map[string]any{"return": true}, nil
}

func withoutTags(tags []resourceTag, drop []any) []resourceTag {
	if len(drop) == 0 {
		return nil // DeleteTags without tags removes them all
	}
	var kept []resourceTag
	for _, t := range tags {
		remove := false
		for _, d := range drop {
			m, _ := d.(map[string]any)
			_, valueGiven := m["Value"]
			remove = remove || (str(m, "Key") == t.Key && (!valueGiven || str(m, "Value") == t.Value))
		}
		if !remove {
			kept = append(kept, t)
		}
	}
	return kept
}

// ec2DescribeTags lists tags, filtered by resource-id, resource-type, key
// and value.
func ec2DescribeTags(c *call) (any, error) {
	fs := filters(c.input)
	store := c.ec2Tags()
	items := []any{}
	for _, id := range sortedIDs(store.byID) {
		if c.ec2ResourceExists(id) != nil {
			continue
		}
		for _, t := range store.byID[id] {
			fields := map[string]string{"resource-id": id, "resource-type": ec2ResourceType(id), "key": t.Key, "value": t.Value}
			if matches(fields, fs) {
				items = append(items, map[string]any{"resourceId": id, "resourceType": ec2ResourceType(id), "key": t.Key, "value": t.Value})
			}
		}
	}
	return map[string]any{"tagSet": items}, nil
}

func ec2ResourceType(id string) string {
	switch {
	case strings.HasPrefix(id, "i-"):
		return "instance"
	case strings.HasPrefix(id, "vol-"):
		return "volume"
	}
	return "snapshot"
}
