package sandbox

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// EC2 durations in simulated time.
const (
	ec2Boot         = 30 * time.Second // an instance: pending → running
	ec2VolumeCreate = time.Minute      // an empty volume: creating → available
	ec2VolumeFromSn = 2 * time.Minute  // a volume from a snapshot
	ec2Attach       = 10 * time.Second // attaching → attached
	ec2Snapshot     = 5 * time.Minute  // pending → completed
	// ec2TerminatedShown is how long a terminated instance still shows in
	// DescribeInstances, as in EC2 (about an hour), before it is gone.
	ec2TerminatedShown = time.Hour
)

type ec2Region struct {
	instances map[string]*instance
	volumes   map[string]*volume
	snapshots map[string]*snapshot
	// tokens maps CreateVolume's ClientToken to the volume it made, so
	// that a retried create returns that volume, as EC2's does.
	tokens map[string]string
	seq    int
}

type instance struct {
	ID, Image, Type, AZ, Reservation string
	Launched                         time.Time
	status                           timeline
}

type volume struct {
	ID, AZ, Snapshot, Type string
	Size                   int64
	Created                time.Time
	status                 timeline
	attach                 *volumeAttachment
}

type volumeAttachment struct {
	Instance, Device string
	At               time.Time
	status           timeline
}

type snapshot struct {
	ID, Volume, Description string
	Size                    int64
	Started                 time.Time
	status                  timeline
}

func (r *ec2Region) dump(now time.Time) any {
	vols := map[string]any{}
	for id, v := range r.volumes {
		vols[id] = map[string]any{"state": v.status.state(now), "az": v.AZ, "snapshot": v.Snapshot}
	}
	inst := map[string]any{}
	for id, i := range r.instances {
		if !i.gone(now) {
			inst[id] = map[string]any{"state": i.status.state(now), "az": i.AZ}
		}
	}
	return map[string]any{"instances": inst, "volumes": vols, "snapshots": len(r.snapshots)}
}

// ec2 returns the call's Region's EC2 state, without the instances
// that are gone: every handler, AttachVolume's too, then finds a gone
// instance no more than one never launched.
func (c *call) ec2() *ec2Region {
	r := ec2RegionOf(c.sb, c.region)
	for id, i := range r.instances {
		if i.gone(c.now) {
			delete(r.instances, id)
			delete(c.ec2Tags().byID, id) // its tags go with it
		}
	}
	return r
}

// ec2RegionOf returns a Region's EC2 state, for calls of other services
// too (Auto Scaling launches EC2 instances). Callers hold s.mu.
func ec2RegionOf(sb *Sandbox, region string) *ec2Region {
	return stateOf(sb, "ec2", region, func() *ec2Region {
		return &ec2Region{instances: map[string]*instance{}, volumes: map[string]*volume{}, snapshots: map[string]*snapshot{},
			tokens: map[string]string{}}
	})
}

// gone reports whether an instance's timeline has run out: its last step,
// the empty state, is reached by now. (Its state at now would also be ""
// before it launched, which a scenario entry dated earlier may ask about.)
func (i *instance) gone(now time.Time) bool {
	n := len(i.status.steps)
	return n > 0 && i.status.steps[n-1].state == "" && !i.status.steps[n-1].at.After(now)
}

// launchManaged adds an instance another service launched (an Auto
// Scaling group's), under the id that service gave it: pending, then
// running after boot, on that service's schedule rather than EC2's own.
func (r *ec2Region) launchManaged(id, az string, now time.Time, boot time.Duration) {
	i := &instance{ID: id, Type: "m5.large", AZ: az, Reservation: r.newID("r"), Launched: now}
	i.status.set(now, "pending", boot, "running")
	r.instances[id] = i
}

// terminateManaged terminates an instance another service launched:
// shutting-down, terminated after shutdown, and gone ec2TerminatedShown
// later.
func (r *ec2Region) terminateManaged(id string, now time.Time, shutdown time.Duration) {
	if i := r.instances[id]; i != nil {
		i.status.set(now, "shutting-down", shutdown, "terminated", ec2TerminatedShown, "")
	}
}

func registerEC2(s *Sandbox) {
	s.addService(&service{name: "ec2", protocol: ec2QueryProtocol{}, xmlns: "http://ec2.amazonaws.com/doc/2016-11-15/",
		version: "2016-11-15", throttleCode: "RequestLimitExceeded"},
		&operation{name: "RunInstances", mutating: true, handler: ec2RunInstances},
		&operation{name: "DescribeInstances", handler: ec2DescribeInstances},
		&operation{name: "StopInstances", mutating: true, handler: ec2StopInstances},
		&operation{name: "StartInstances", mutating: true, handler: ec2StartInstances},
		&operation{name: "TerminateInstances", mutating: true, handler: ec2TerminateInstances},
		&operation{name: "DescribeInstanceStatus", handler: ec2DescribeInstanceStatus},
		&operation{name: "CreateVolume", mutating: true, handler: ec2CreateVolume},
		&operation{name: "DescribeVolumes", handler: ec2DescribeVolumes},
		&operation{name: "AttachVolume", mutating: true, handler: ec2AttachVolume},
		&operation{name: "CreateSnapshot", mutating: true, handler: ec2CreateSnapshot},
		&operation{name: "DescribeSnapshots", handler: ec2DescribeSnapshots},
		&operation{name: "CreateTags", mutating: true, handler: ec2CreateTags},
		&operation{name: "DeleteTags", mutating: true, handler: ec2DeleteTags},
		&operation{name: "DescribeTags", handler: ec2DescribeTags},
		&operation{name: "DescribeRegions", handler: ec2DescribeRegions},
		&operation{name: "DescribeAvailabilityZones", handler: ec2DescribeAvailabilityZones},
		&operation{name: "DescribeVpcs", handler: ec2DescribeVpcs},
		&operation{name: "DescribeSecurityGroups", handler: ec2DescribeSecurityGroups},
	)
}

// newID makes an EC2 id: prefix and 17 hex digits.
func (r *ec2Region) newID(prefix string) string {
	r.seq++
	return prefix + "-" + strings.ToLower(resourceID("", fmt.Sprintf("%s%d", prefix, r.seq))[9:26])
}

// filters reads EC2's Filter.N.Name / Filter.N.Value.M into name → values.
func filters(in map[string]any) map[string][]string {
	out := map[string][]string{}
	for _, f := range list(in, "Filter") {
		m, _ := f.(map[string]any)
		for _, v := range list(m, "Value") {
			if s, ok := v.(string); ok {
				out[str(m, "Name")] = append(out[str(m, "Name")], s)
			}
		}
	}
	return out
}

// matches reports whether a resource's filterable fields pass the
// filters. fields lists every filter the resource type supports ("" when
// the resource has no value, which matches nothing); filters it does not
// support are ignored.
func matches(fields map[string]string, fs map[string][]string) bool {
	for name, want := range fs {
		have, known := fields[name]
		if !known {
			continue
		}
		ok := false
		for _, w := range want {
			ok = ok || w == have
		}
		if !ok {
			return false
		}
	}
	return true
}

// ids reads a list of ids given as Name.N.
func ids(in map[string]any, key string) map[string]bool {
	out := map[string]bool{}
	for _, v := range list(in, key) {
		if s, ok := v.(string); ok {
			out[s] = true
		}
	}
	return out
}

func sortedIDs[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var instanceCodes = map[string]int{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

func (c *call) instanceValue(i *instance) map[string]any {
	return map[string]any{"instanceId": i.ID, "imageId": i.Image, "instanceType": i.Type,
		"instanceState": stateValue(c.instanceState(i)),
		"placement":     map[string]any{"availabilityZone": i.AZ}, "launchTime": i.Launched,
		"privateIpAddress": "10.0.0." + fmt.Sprint(len(i.ID)%200+10), "privateDnsName": "ip-10-0-0-10." + c.region + ".compute.internal",
		"tagSet": c.ec2TagSet(i.ID)}
}

func ec2RunInstances(c *call) (any, error) {
	image, err := required(c.input, "ImageId", "MissingParameter")
	if err != nil {
		return nil, err
	}
	count, _, aerr := integer(c.input, "MinCount")
	if aerr != nil {
		return nil, aerr
	}
	maxCount, _, aerr := integer(c.input, "MaxCount")
	if aerr != nil {
		return nil, aerr
	}
	if count < 1 || maxCount < count || maxCount > 50 {
		return nil, errorf("InvalidParameterValue", "MinCount and MaxCount must be from 1 to 50, MinCount ≤ MaxCount")
	}
	az := str(obj(c.input, "Placement"), "AvailabilityZone")
	if az == "" {
		az = c.region + "a"
	}
	tags, aerr := c.tagSpecifications("instance")
	if aerr != nil {
		return nil, aerr
	}
	r := c.ec2()
	res := r.newID("r")
	items := make([]any, 0, count)
	for n := int64(0); n < count; n++ {
		i := &instance{ID: c.idOr(r.newID("i")), Image: image, Type: str(c.input, "InstanceType"), AZ: az, Reservation: res, Launched: c.now}
		if i.Type == "" {
			i.Type = "m5.large"
		}
		i.status.set(c.now, "pending", ec2Boot, "running")
		r.instances[i.ID] = i
		_ = c.tagEC2(i.ID, tags) // checked above
		items = append(items, c.instanceValue(i))
	}
	return map[string]any{"reservationId": res, "ownerId": c.account(), "instancesSet": items}, nil
}

func ec2DescribeInstances(c *call) (any, error) {
	r, want, fs := c.ec2(), ids(c.input, "InstanceId"), filters(c.input)
	for id := range want {
		if _, ok := r.instances[id]; !ok {
			return nil, errorf("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
		}
	}
	byRes := map[string][]any{}
	var order []string
	for _, id := range sortedIDs(r.instances) {
		i := r.instances[id]
		v := c.instanceValue(i)
		fields := map[string]string{"instance-id": id, "instance-state-name": v["instanceState"].(map[string]any)["name"].(string),
			"availability-zone": i.AZ, "image-id": i.Image, "instance-type": i.Type}
		if len(want) > 0 && !want[id] || !matches(fields, fs) || !c.ec2TagsMatch(id, fs) {
			continue
		}
		if _, seen := byRes[i.Reservation]; !seen {
			order = append(order, i.Reservation)
		}
		byRes[i.Reservation] = append(byRes[i.Reservation], v)
	}
	reservations := make([]any, 0, len(order))
	for _, res := range order {
		reservations = append(reservations, map[string]any{"reservationId": res, "ownerId": c.account(), "instancesSet": byRes[res]})
	}
	return map[string]any{"reservationSet": reservations}, nil
}
