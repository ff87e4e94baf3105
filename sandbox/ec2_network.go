package sandbox

import (
	"slices"
	"strings"
)

// What a person looks up by hand before moving a workload: the Regions,
// their Availability Zones, and the network (the default VPC and its
// default security group, which every account has in every Region). The
// sandbox simulates no networking; these answer from fixed data so that
// scripts that resolve a zone or a VPC before they create something run.

// ec2Regions are the commercial Regions enabled by default, with the
// zone letters each has.
var ec2Regions = map[string]string{
	"us-east-1": "abcdef", "us-east-2": "abc", "us-west-1": "ac", "us-west-2": "abcd",
	"ca-central-1": "abd", "sa-east-1": "abc",
	"eu-west-1": "abc", "eu-west-2": "abc", "eu-west-3": "abc", "eu-central-1": "abc", "eu-north-1": "abc",
	"ap-south-1": "abc", "ap-northeast-1": "acd", "ap-northeast-2": "abcd", "ap-northeast-3": "abc",
	"ap-southeast-1": "abc", "ap-southeast-2": "abc",
}

// zoneLetters are a Region's zone letters: "abc" for a Region the table
// does not list (a scenario may sign for any Region).
func zoneLetters(region string) string {
	if z, ok := ec2Regions[region]; ok {
		return z
	}
	return "abc"
}

func ec2DescribeRegions(c *call) (any, error) {
	want, fs := ids(c.input, "RegionName"), filters(c.input)
	for name := range want {
		if !scopeRegionRE.MatchString(name) {
			return nil, errorf("InvalidParameterValue", "Invalid region: %s", name)
		}
	}
	names := sortedIDs(ec2Regions)
	for name := range want {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	items := []any{}
	for _, name := range names {
		fields := map[string]string{"region-name": name, "endpoint": "ec2." + name + ".amazonaws.com", "opt-in-status": "opt-in-not-required"}
		if len(want) > 0 && !want[name] || !matches(fields, fs) {
			continue
		}
		items = append(items, map[string]any{"regionName": name, "regionEndpoint": fields["endpoint"], "optInStatus": fields["opt-in-status"]})
	}
	return map[string]any{"regionInfo": items}, nil
}

func ec2DescribeAvailabilityZones(c *call) (any, error) {
	names, zoneIDs, fs := ids(c.input, "ZoneName"), ids(c.input, "ZoneId"), filters(c.input)
	items := []any{}
	known := map[string]bool{}
	for i, letter := range zoneLetters(c.region) {
		name := c.region + string(letter)
		id := ec2ZoneID(c.region, i+1)
		known[name], known[id] = true, true
		fields := map[string]string{"zone-name": name, "zone-id": id, "region-name": c.region, "state": "available", "zone-type": "availability-zone"}
		if len(names) > 0 && !names[name] || len(zoneIDs) > 0 && !zoneIDs[id] || !matches(fields, fs) {
			continue
		}
		items = append(items, map[string]any{"zoneName": name, "zoneId": id, "zoneState": "available", "regionName": c.region,
			"zoneType": "availability-zone", "optInStatus": "opt-in-not-required", "groupName": c.region, "networkBorderGroup": c.region,
			"messageSet": []any{}})
	}
	for _, set := range []map[string]bool{names, zoneIDs} {
		for z := range set {
			if !known[z] {
				return nil, errorf("InvalidParameterValue", "The zone '%s' does not exist.", z)
			}
		}
	}
	return map[string]any{"availabilityZoneInfo": items}, nil
}

// ec2ZoneID is a zone's id, as AWS names them: the Region's short name
// ("use1") and "-az" and a number.
func ec2ZoneID(region string, n int) string {
	short := strings.NewReplacer("north", "n", "south", "s", "east", "e", "west", "w", "central", "c", "-", "").Replace(region)
	return short + "-az" + string(rune('0'+n))
}

// ec2DefaultVPC and ec2DefaultGroup are the ids of a Region's default VPC
// and its default security group: fixed per Region, so that they are the
// same in every run and every replay.
func ec2DefaultVPC(region string) string {
	return "vpc-" + strings.ToLower(resourceID("", "default-vpc/"+region))[:17]
}

func ec2DefaultGroup(region string) string {
	return "sg-" + strings.ToLower(resourceID("", "default-sg/"+region))[:17]
}

func ec2DescribeVpcs(c *call) (any, error) {
	want, fs := ids(c.input, "VpcId"), filters(c.input)
	id := ec2DefaultVPC(c.region)
	for v := range want {
		if v != id {
			return nil, errorf("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", v)
		}
	}
	fields := map[string]string{"vpc-id": id, "is-default": "true", "state": "available", "cidr": "172.31.0.0/16",
		"cidr-block-association.cidr-block": "172.31.0.0/16", "owner-id": c.account()}
	items := []any{}
	if matches(fields, fs) && c.ec2TagsMatch(id, fs) {
		items = append(items, map[string]any{"vpcId": id, "state": "available", "cidrBlock": "172.31.0.0/16", "isDefault": true,
			"ownerId": c.account(), "instanceTenancy": "default", "dhcpOptionsId": "dopt-" + id[4:],
			"cidrBlockAssociationSet": []any{map[string]any{"associationId": "vpc-cidr-assoc-" + id[4:], "cidrBlock": "172.31.0.0/16",
				"cidrBlockState": map[string]any{"state": "associated"}}},
			"tagSet": c.ec2TagSet(id)})
	}
	return map[string]any{"vpcSet": items}, nil
}

func ec2DescribeSecurityGroups(c *call) (any, error) {
	want, names, fs := ids(c.input, "GroupId"), ids(c.input, "GroupName"), filters(c.input)
	id, vpc := ec2DefaultGroup(c.region), ec2DefaultVPC(c.region)
	for g := range want {
		if g != id {
			return nil, errorf("InvalidGroup.NotFound", "The security group '%s' does not exist", g)
		}
	}
	for n := range names {
		if n != "default" {
			return nil, errorf("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC '%s'", n, vpc)
		}
	}
	fields := map[string]string{"group-id": id, "group-name": "default", "vpc-id": vpc, "owner-id": c.account(),
		"description": "default VPC security group"}
	items := []any{}
	if matches(fields, fs) && c.ec2TagsMatch(id, fs) {
		items = append(items, map[string]any{"groupId": id, "groupName": "default", "groupDescription": fields["description"],
			"vpcId": vpc, "ownerId": c.account(), "securityGroupArn": arn("ec2", c.region, c.account(), "security-group/"+id),
			"ipPermissions": []any{map[string]any{"ipProtocol": "-1", "groups": []any{map[string]any{"groupId": id, "userId": c.account()}},
				"ipRanges": []any{}, "ipv6Ranges": []any{}, "prefixListIds": []any{}}},
			"ipPermissionsEgress": []any{map[string]any{"ipProtocol": "-1", "ipRanges": []any{map[string]any{"cidrIp": "0.0.0.0/0"}},
				"groups": []any{}, "ipv6Ranges": []any{}, "prefixListIds": []any{}}},
			"tagSet": c.ec2TagSet(id)})
	}
	return map[string]any{"securityGroupInfo": items}, nil
}
