package sandbox

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"
	"time"
)

// ECS durations in simulated time. A service's tasks follow its desired
// count: each new task is PENDING for ecsTaskStart, the scheduler launching
// one after another ecsTaskStagger apart; a task scaled in drains for
// ecsTaskStop before it stops (a PENDING one stops at once).
const (
	ecsTaskStart   = 45 * time.Second
	ecsTaskStagger = 2 * time.Second
	ecsTaskStop    = 30 * time.Second
	ecsMaxTasks    = 5000 // tasks per service, ECS's quota
	ecsDescribeMax = 10   // services per DescribeServices
)

type ecsRegion struct {
	clusters map[string]*ecsCluster
	tasks    uint64 // tasks launched, for their private IPs
}

type ecsCluster struct {
	Name     string
	Tags     []any
	Settings []any
	services map[string]*ecsService
	order    []string // creation order, for stable output
}

type ecsService struct {
	Name, Cluster, LaunchType string
	Desired                   int64
	Created                   time.Time
	Tags                      []any
	Network                   map[string]any
	LoadBalancers             []any            // the target groups its RUNNING tasks are in (targets.go)
	token                     string           // the clientToken that created it
	deployments               []*ecsDeployment // the PRIMARY first
	seq                       int              // deployments made, for ids
	// frozenAt is when a stuck fault began to hold the service: its tasks
	// neither start nor stop until the fault is released.
	frozenAt time.Time
}

// ecsDeployment is one revision of a service being rolled out; its tasks'
// start and stop times lay out its counts over simulated time.
type ecsDeployment struct {
	ID, TaskDef      string
	Desired          int64
	Created, Updated time.Time
	tasks            []ecsTask
	completed        bool // latched when its rollout first reached steady state
}

// ecsTask is RUNNING from start until stop; stop is zero until the task
// is scaled in or replaced. ip is its private IP, its target id in a
// target group of type ip.
type ecsTask struct {
	start, stop time.Time
	ip          string
}

func (r *ecsRegion) dump(now time.Time) any {
	clusters := map[string]any{}
	for name, cl := range r.clusters {
		services := map[string]any{}
		for sname, s := range cl.services {
			at := now
			if !s.frozenAt.IsZero() {
				at = s.frozenAt
			}
			s.settle(at)
			running, pending := s.counts(at)
			services[sname] = map[string]any{"desired": s.Desired, "running": running, "pending": pending,
				"deployments": len(s.deployments), "rollout": s.rollout(0), "frozen": !s.frozenAt.IsZero()}
		}
		clusters[name] = map[string]any{"status": "ACTIVE", "services": services}
	}
	return map[string]any{"clusters": clusters}
}

func (c *call) ecs() *ecsRegion {
	return stateOf(c.sb, "ecs", c.region, func() *ecsRegion { return &ecsRegion{clusters: map[string]*ecsCluster{}} })
}

// ecsTaskIP gives a new task its private IP: the Region's next address,
// so that a task keeps one for its life and no two tasks share one.
func (c *call) ecsTaskIP() string {
	r := c.ecs()
	r.tasks++
	return regionIP(c.region, r.tasks)
}

func registerECS(s *Sandbox) {
	s.addService(&service{name: "ecs", protocol: jsonProtocol{version: "1.1"},
		target: "AmazonEC2ContainerServiceV20141113", throttleCode: "ThrottlingException"},
		&operation{name: "CreateCluster", mutating: true, handler: ecsCreateCluster},
		&operation{name: "CreateService", mutating: true, handler: ecsCreateService},
		&operation{name: "UpdateService", mutating: true, handler: ecsUpdateService},
		&operation{name: "DescribeServices", handler: ecsDescribeServices},
		&operation{name: "ListClusters", handler: ecsListClusters},
		&operation{name: "DescribeClusters", handler: ecsDescribeClusters},
		&operation{name: "ListServices", handler: ecsListServices},
	)
}

// counts returns the deployment's RUNNING and PENDING tasks at a moment.
// A draining task still counts as RUNNING until it stops.
func (d *ecsDeployment) counts(at time.Time) (running, pending int64) {
	for _, t := range d.tasks {
		switch {
		case !t.stop.IsZero() && !at.Before(t.stop):
		case at.Before(t.start):
			pending++
		default:
			running++
		}
	}
	return running, pending
}

// scale sets how many of the deployment's tasks are live (not stopping):
// new ones are launched, each with an address from ip, or surplus ones
// stopped, PENDING ones first.
func (d *ecsDeployment) scale(n int64, now time.Time, ip func() string) {
	live := int64(0)
	for _, t := range d.tasks {
		if t.stop.IsZero() {
			live++
		}
	}
	for i := int64(0); live+i < n; i++ {
		d.tasks = append(d.tasks, ecsTask{start: now.Add(ecsTaskStart + time.Duration(i)*ecsTaskStagger), ip: ip()})
	}
	for _, pendingOnly := range []bool{true, false} {
		for i := len(d.tasks) - 1; i >= 0 && live > n; i-- {
			t := &d.tasks[i]
			if !t.stop.IsZero() || pendingOnly != now.Before(t.start) {
				continue
			}
			t.stop = now.Add(ecsTaskStop)
			if pendingOnly {
				t.stop = now
			}
			live--
		}
	}
	d.Desired, d.Updated = n, now
}

// settle brings a service's bookkeeping up to a moment: stopped tasks
// and drained deployments go, and the PRIMARY's rollout is latched
// COMPLETED once it is the only deployment with all its tasks RUNNING
// (scaling it later does not make it a rollout again). Between two
// mutations counts only move towards the desired ones, so settling at
// the start of every call is exact.
func (s *ecsService) settle(at time.Time) {
	kept := s.deployments[:1]
	for i, d := range s.deployments {
		live := d.tasks[:0]
		for _, t := range d.tasks {
			if t.stop.IsZero() || at.Before(t.stop) {
				live = append(live, t)
			}
		}
		d.tasks = live
		if i > 0 && len(live) > 0 {
			kept = append(kept, d)
		}
	}
	s.deployments = kept
	primary := s.deployments[0]
	if running, pending := primary.counts(at); len(kept) == 1 && pending == 0 && running == primary.Desired {
		primary.completed = true
	}
}

func (s *ecsService) counts(at time.Time) (running, pending int64) {
	for _, d := range s.deployments {
		r, p := d.counts(at)
		running, pending = running+r, pending+p
	}
	return running, pending
}

func (s *ecsService) rollout(i int) string {
	if s.deployments[i].completed {
		return "COMPLETED"
	}
	return "IN_PROGRESS"
}

// deploy starts a new PRIMARY deployment of a task definition. The old
// deployments' tasks give way one for one: each stops ecsTaskStop after a
// new task is RUNNING (maximumPercent 200, minimumHealthyPercent 100).
func (s *ecsService) deploy(c *call, taskDef string) {
	s.seq++
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s/%s/%d", c.region, s.Cluster, s.Name, s.seq)
	d := &ecsDeployment{ID: fmt.Sprintf("ecs-svc/%019d", h.Sum64()%1e19), TaskDef: taskDef, Created: c.now}
	d.scale(s.Desired, c.now, c.ecsTaskIP)
	next := 0
	for _, old := range s.deployments {
		for j := range old.tasks {
			t := &old.tasks[j]
			switch {
			case !t.stop.IsZero():
			case c.now.Before(t.start):
				t.stop = c.now
			case next < len(d.tasks):
				t.stop = d.tasks[next].start.Add(ecsTaskStop)
				next++
			default:
				t.stop = c.now.Add(ecsTaskStop)
			}
		}
		old.Desired, old.Updated = 0, c.now
	}
	s.deployments = append([]*ecsDeployment{d}, s.deployments...)
}

// ecsAt returns the moment a service's counts are read at: now, or while a
// stuck fault holds it (id "<cluster>/<service>"), the moment the fault
// was first seen. On release its pending starts and stops resume, shifted
// by the time it was held.
func (c *call) ecsAt(s *ecsService) time.Time {
	return s.observe(c.sb.faults, c.region, c.now)
}

// observe is ecsAt for any reader of the service in its Region, ELBv2's
// too: whoever first sees a stuck fault or its release does the
// bookkeeping.
func (s *ecsService) observe(f *faults, region string, now time.Time) time.Time {
	stuck := f.stuckState("ecs", region, s.Cluster+"/"+s.Name) != ""
	switch {
	case stuck && s.frozenAt.IsZero():
		s.frozenAt = now
	case !stuck && !s.frozenAt.IsZero():
		held := now.Sub(s.frozenAt)
		for _, d := range s.deployments {
			for j := range d.tasks {
				t := &d.tasks[j]
				if t.start.After(s.frozenAt) {
					t.start = t.start.Add(held)
				}
				if t.stop.After(s.frozenAt) {
					t.stop = t.stop.Add(held)
				}
			}
		}
		s.frozenAt = time.Time{}
	}
	if stuck {
		return s.frozenAt
	}
	return now
}

// observeStuck lets an ECS service (or an S3 bucket's replication, see
// observeS3Stuck) that a stuck fault names see the
// fault given or released at now, as a reader would: the moment it takes
// hold (or lets go) is then the fault's, not whenever someone next looks,
// and a recording replayed gets it right. Callers hold s.mu.
func (sb *Sandbox) observeStuck(st *Stuck, now time.Time) {
	if st != nil && st.Service == "s3" {
		sb.observeS3Stuck(st, now)
		return
	}
	if st == nil || st.Service != "ecs" {
		return
	}
	r := existingState[ecsRegion](sb, "ecs", st.Region)
	cname, sname, ok := strings.Cut(st.ID, "/")
	if r == nil || !ok {
		return
	}
	if cl := r.clusters[cname]; cl != nil {
		if s := cl.services[sname]; s != nil {
			s.observe(sb.faults, st.Region, now)
		}
	}
}

var ecsNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// ecsName reads a cluster or service member given as a name or an ARN
// (…:cluster/NAME, …:service/CLUSTER/NAME or the older …:service/NAME).
func ecsName(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref[strings.LastIndex(ref, "/")+1:]
	}
	return ref
}

func (c *call) ecsCluster() (*ecsCluster, *awsError) {
	name := ecsName(str(c.input, "cluster"))
	if name == "" {
		name = "default"
	}
	cl, ok := c.ecs().clusters[name]
	if !ok {
		return nil, errorf("ClusterNotFoundException", "Cluster not found.")
	}
	return cl, nil
}

func (c *call) ecsClusterValue(cl *ecsCluster) map[string]any {
	var running, pending int64
	for _, s := range cl.services {
		at := c.ecsAt(s)
		s.settle(at)
		r, p := s.counts(at)
		running, pending = running+r, pending+p
	}
	return map[string]any{
		"clusterArn": arn("ecs", c.region, c.account(), "cluster/"+cl.Name), "clusterName": cl.Name,
		"status": "ACTIVE", "registeredContainerInstancesCount": 0, "runningTasksCount": running,
		"pendingTasksCount": pending, "activeServicesCount": len(cl.services), "statistics": []any{},
		"tags": cl.Tags, "settings": cl.Settings, "capacityProviders": []any{}, "defaultCapacityProviderStrategy": []any{},
	}
}

// ecsCreateCluster is idempotent, as the real API is: creating a cluster
// that exists returns it.
func ecsCreateCluster(c *call) (any, error) {
	name := str(c.input, "clusterName")
	if name == "" {
		name = "default"
	}
	if !ecsNameRE.MatchString(name) {
		return nil, errorf("InvalidParameterException", "Cluster name can have up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.")
	}
	r := c.ecs()
	cl, ok := r.clusters[name]
	if !ok {
		settings := list(c.input, "settings")
		if settings == nil {
			settings = []any{map[string]any{"name": "containerInsights", "value": "disabled"}}
		}
		cl = &ecsCluster{Name: name, Tags: ecsList(c.input, "tags"), Settings: settings,
			services: map[string]*ecsService{}}
		r.clusters[name] = cl
	}
	return map[string]any{"cluster": c.ecsClusterValue(cl)}, nil
}

// ecsList reads a list member, empty rather than absent, as ECS answers.
func ecsList(in map[string]any, key string) []any {
	if l := list(in, key); l != nil {
		return l
	}
	return []any{}
}

func (c *call) ecsTaskDefARN(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref
	}
	if !strings.Contains(ref, ":") {
		ref += ":1" // the family's latest revision; the sandbox knows one
	}
	return arn("ecs", c.region, c.account(), "task-definition/"+ref)
}

func ecsDesired(in map[string]any) (int64, bool, *awsError) {
	n, set, err := integer(in, "desiredCount")
	if err != nil {
		return 0, false, errorf("InvalidParameterException", "desiredCount must be an integer")
	}
	if n < 0 || n > ecsMaxTasks {
		return 0, false, errorf("InvalidParameterException", "desiredCount must be from 0 to %d.", ecsMaxTasks)
	}
	return n, set, nil
}

// ecsMaxLoadBalancers is how many target groups a service may name, ECS's
// quota.
const ecsMaxLoadBalancers = 5

// ecsLoadBalancers reads CreateService's loadBalancers, each a target
// group (or a Classic Load Balancer, by name, which the sandbox keeps but
// does not simulate) and the container and port that serve it. The
// target group need not exist yet: a scenario may create it later, and
// the tasks' registrations are derived whenever it is read.
func ecsLoadBalancers(in map[string]any) ([]any, *awsError) {
	items := list(in, "loadBalancers")
	if len(items) > ecsMaxLoadBalancers {
		return nil, errorf("InvalidParameterException", "A service can have at most %d load balancers.", ecsMaxLoadBalancers)
	}
	out := make([]any, 0, len(items))
	for _, item := range items {
		m, _ := item.(map[string]any)
		tg, clb, container := str(m, "targetGroupArn"), str(m, "loadBalancerName"), str(m, "containerName")
		port, set, err := integer(m, "containerPort")
		switch {
		case err != nil || !set || port < 1 || port > 65535:
			return nil, errorf("InvalidParameterException", "containerPort must be a port from 1 to 65535.")
		case (tg == "") == (clb == ""):
			return nil, errorf("InvalidParameterException", "A load balancer names either a targetGroupArn or a loadBalancerName.")
		case container == "":
			return nil, errorf("InvalidParameterException", "containerName is required for a load balancer.")
		}
		lb := map[string]any{"containerName": container, "containerPort": port}
		if tg != "" {
			lb["targetGroupArn"] = tg
		} else {
			lb["loadBalancerName"] = clb
		}
		out = append(out, lb)
	}
	return out, nil
}

func ecsCreateService(c *call) (any, error) {
	cl, err := c.ecsCluster()
	if err != nil {
		return nil, err
	}
	name := str(c.input, "serviceName")
	if !ecsNameRE.MatchString(name) {
		return nil, errorf("InvalidParameterException", "Service name can have up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.")
	}
	taskDef := str(c.input, "taskDefinition")
	if taskDef == "" {
		return nil, errorf("InvalidParameterException", "Task Definition can not be blank.")
	}
	if st := str(c.input, "schedulingStrategy"); st != "" && st != "REPLICA" {
		return nil, errorf("InvalidParameterException", "The sandbox simulates REPLICA services only, not %s.", st)
	}
	desired, set, err := ecsDesired(c.input)
	if err != nil {
		return nil, err
	}
	if !set {
		return nil, errorf("InvalidParameterException", "desiredCount is required for a service with the REPLICA scheduling strategy.")
	}
	token := str(c.input, "clientToken")
	if s, exists := cl.services[name]; exists {
		if token != "" && token == s.token {
			return map[string]any{"service": c.ecsServiceValue(cl, s, false)}, nil
		}
		return nil, errorf("InvalidParameterException", "Creation of service was not idempotent.")
	}
	launch := str(c.input, "launchType")
	if launch == "" {
		launch = "EC2"
	}
	lbs, err := ecsLoadBalancers(c.input)
	if err != nil {
		return nil, err
	}
	s := &ecsService{Name: name, Cluster: cl.Name, LaunchType: launch, Desired: desired, Created: c.now,
		Tags: ecsList(c.input, "tags"), Network: obj(c.input, "networkConfiguration"), LoadBalancers: lbs, token: token}
	s.deploy(c, c.ecsTaskDefARN(taskDef))
	cl.services[name] = s
	cl.order = append(cl.order, name)
	return map[string]any{"service": c.ecsServiceValue(cl, s, false)}, nil
}

// ecsUpdateService scales a service (desiredCount: no new deployment, as
// in ECS) and, for a new task definition or forceNewDeployment, rolls out
// a new deployment.
func ecsUpdateService(c *call) (any, error) {
	cl, err := c.ecsCluster()
	if err != nil {
		return nil, err
	}
	s, ok := cl.services[ecsName(str(c.input, "service"))]
	if !ok {
		return nil, errorf("ServiceNotFoundException", "Service not found.")
	}
	desired, set, err := ecsDesired(c.input)
	if err != nil {
		return nil, err
	}
	s.settle(c.ecsAt(s))
	primary := s.deployments[0]
	if set && desired != s.Desired {
		s.Desired = desired
		primary.scale(desired, c.now, c.ecsTaskIP)
	}
	taskDef := primary.TaskDef
	if td := str(c.input, "taskDefinition"); td != "" {
		taskDef = c.ecsTaskDefARN(td)
	}
	if force, _ := boolean(c.input, "forceNewDeployment"); force || taskDef != primary.TaskDef {
		s.deploy(c, taskDef)
	}
	return map[string]any{"service": c.ecsServiceValue(cl, s, false)}, nil
}

func ecsDescribeServices(c *call) (any, error) {
	cl, err := c.ecsCluster()
	if err != nil {
		return nil, err
	}
	refs := list(c.input, "services")
	if len(refs) == 0 || len(refs) > ecsDescribeMax {
		return nil, errorf("InvalidParameterException", "services must name 1 to %d services.", ecsDescribeMax)
	}
	withTags := false
	for _, inc := range list(c.input, "include") {
		withTags = withTags || inc == "TAGS"
	}
	services, failures := []any{}, []any{}
	for _, ref := range refs {
		name, _ := ref.(string)
		if s, ok := cl.services[ecsName(name)]; ok {
			services = append(services, c.ecsServiceValue(cl, s, withTags))
			continue
		}
		failures = append(failures, map[string]any{"reason": "MISSING",
			"arn": arn("ecs", c.region, c.account(), "service/"+cl.Name+"/"+ecsName(name))})
	}
	return map[string]any{"services": services, "failures": failures}, nil
}

func (c *call) ecsServiceValue(cl *ecsCluster, s *ecsService, withTags bool) map[string]any {
	at := c.ecsAt(s)
	s.settle(at)
	stuck := c.sb.faults.stuckState("ecs", c.region, s.Cluster+"/"+s.Name)
	deployments := make([]any, len(s.deployments))
	for i, d := range s.deployments {
		running, pending := d.counts(at)
		status, rollout := "ACTIVE", s.rollout(i)
		if i == 0 {
			status = "PRIMARY"
			if stuck != "" {
				rollout = stuck
			}
		}
		reason := fmt.Sprintf("ECS deployment %s %s.", d.ID, strings.ToLower(strings.ReplaceAll(rollout, "_", " ")))
		dep := map[string]any{
			"id": d.ID, "status": status, "taskDefinition": d.TaskDef, "desiredCount": d.Desired,
			"runningCount": running, "pendingCount": pending, "failedTasks": 0, "launchType": s.LaunchType,
			"createdAt": d.Created, "updatedAt": d.Updated, "rolloutState": rollout, "rolloutStateReason": reason,
		}
		if s.Network != nil {
			dep["networkConfiguration"] = s.Network
		}
		deployments[i] = dep
	}
	running, pending := s.counts(at)
	v := map[string]any{
		"serviceArn": arn("ecs", c.region, c.account(), "service/"+cl.Name+"/"+s.Name), "serviceName": s.Name,
		"clusterArn": arn("ecs", c.region, c.account(), "cluster/"+cl.Name), "status": "ACTIVE",
		"desiredCount": s.Desired, "runningCount": running, "pendingCount": pending,
		"launchType": s.LaunchType, "taskDefinition": s.deployments[0].TaskDef, "deployments": deployments,
		"createdAt": s.Created, "createdBy": c.callerARN(),
		"schedulingStrategy": "REPLICA", "deploymentController": map[string]any{"type": "ECS"},
		"deploymentConfiguration": map[string]any{"maximumPercent": 200, "minimumHealthyPercent": 100,
			"deploymentCircuitBreaker": map[string]any{"enable": false, "rollback": false}},
		"loadBalancers": s.LoadBalancers, "serviceRegistries": []any{},
		"placementConstraints": []any{}, "placementStrategy": []any{}, "events": []any{},
		"propagateTags": "NONE", "enableECSManagedTags": false, "enableExecuteCommand": false,
	}
	if s.Network != nil {
		v["networkConfiguration"] = s.Network
	}
	if withTags {
		v["tags"] = s.Tags
	}
	return v
}
