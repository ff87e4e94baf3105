package sandbox

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

var ecsTestStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// ecsSetup creates cluster "prod" and service "web" with desired tasks.
func ecsSetup(t *testing.T, client *ecs.Client, desired int32) *ecstypes.Service {
	t.Helper()
	cl, err := client.CreateCluster(ctx(t), &ecs.CreateClusterInput{ClusterName: aws.String("prod")})
	if err != nil || aws.ToString(cl.Cluster.Status) != "ACTIVE" || aws.ToString(cl.Cluster.ClusterName) != "prod" {
		t.Fatalf("CreateCluster: %+v, %v", cl, err)
	}
	svc, err := client.CreateService(ctx(t), &ecs.CreateServiceInput{Cluster: aws.String("prod"),
		ServiceName: aws.String("web"), TaskDefinition: aws.String("web:7"), DesiredCount: aws.Int32(desired),
		LaunchType: ecstypes.LaunchTypeFargate})
	if err != nil {
		t.Fatal(err)
	}
	return svc.Service
}

func ecsDescribe(t *testing.T, client *ecs.Client, names ...string) *ecs.DescribeServicesOutput {
	t.Helper()
	out, err := client.DescribeServices(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: names})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ecsCounts summarises a service as "desired/running/pending deployments rollout".
func ecsCounts(s *ecstypes.Service) string {
	rollout := ""
	if len(s.Deployments) > 0 {
		rollout = string(s.Deployments[0].RolloutState)
	}
	return fmt.Sprintf("%d/%d/%d %d %s", s.DesiredCount, s.RunningCount, s.PendingCount, len(s.Deployments), rollout)
}

// TestECSServiceScaling steps simulated time by hand (time scale 1) and
// checks the counts ECS reports as tasks start, one after another, and
// stop; scaling does not make a completed rollout a rollout again.
func TestECSServiceScaling(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{TimeScale: 1, Start: ecsTestStart})
	client := ecs.NewFromConfig(awsConfig(t, url, "us-east-1"))
	created := ecsSetup(t, client, 2)
	if got := ecsCounts(created); got != "2/0/2 1 IN_PROGRESS" {
		t.Fatalf("created: %s", got)
	}
	d := created.Deployments[0]
	if aws.ToString(created.ServiceArn) != "arn:aws:ecs:us-east-1:123456789012:service/prod/web" ||
		aws.ToString(created.TaskDefinition) != "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7" ||
		aws.ToString(d.Status) != "PRIMARY" || d.LaunchType != ecstypes.LaunchTypeFargate || created.CreatedAt == nil {
		t.Fatalf("created = %+v", created)
	}
	for _, step := range []struct {
		advance time.Duration
		desired int32 // 0: no update
		want    string
	}{
		{advance: 46 * time.Second, want: "2/1/1 1 IN_PROGRESS"}, // first task at 45 s, second at 47 s
		{advance: 2 * time.Second, want: "2/2/0 1 COMPLETED"},
		{desired: 5, want: "5/2/3 1 COMPLETED"}, // scaling is not a new rollout
		{advance: time.Minute, want: "5/5/0 1 COMPLETED"},
		{desired: 1, want: "1/5/0 1 COMPLETED"}, // scaled-in tasks drain for 30 s
		{advance: 31 * time.Second, want: "1/1/0 1 COMPLETED"},
		{desired: 3, want: "3/1/2 1 COMPLETED"},
		{desired: 2, want: "2/1/1 1 COMPLETED"}, // a pending task stops at once
	} {
		sb.Clock().Advance(step.advance)
		var got string
		if step.desired > 0 {
			out, err := client.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String("prod"),
				Service: aws.String("web"), DesiredCount: aws.Int32(step.desired)})
			if err != nil {
				t.Fatal(err)
			}
			got = ecsCounts(out.Service)
		} else {
			got = ecsCounts(&ecsDescribe(t, client, "web").Services[0])
		}
		if got != step.want {
			t.Fatalf("after +%v, desired %d: %s, want %s", step.advance, step.desired, got, step.want)
		}
	}
	state := sb.dumpState()["ecs/us-east-1"].(map[string]any)["clusters"].(map[string]any)["prod"]
	web := state.(map[string]any)["services"].(map[string]any)["web"].(map[string]any)
	if web["desired"] != int64(2) {
		t.Fatalf("state dump: %v", web)
	}
}

// TestECSServicesStableWaiter: the SDK's own waiter follows a service to
// steady state, through a scale-up and through a rolling deployment of a
// new task definition.
func TestECSServicesStableWaiter(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 600})
	client := ecs.NewFromConfig(awsConfig(t, url, "eu-central-1"))
	ecsSetup(t, client, 3)
	waiter := ecs.NewServicesStableWaiter(client, func(o *ecs.ServicesStableWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	})
	wait := func(names ...string) error {
		return waiter.Wait(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: names}, 20*time.Second)
	}
	if err := wait("web"); err != nil {
		t.Fatal(err)
	}
	if got := ecsCounts(&ecsDescribe(t, client, "web").Services[0]); got != "3/3/0 1 COMPLETED" {
		t.Fatalf("stable: %s", got)
	}
	out, err := client.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"),
		TaskDefinition: aws.String("web:8"), DesiredCount: aws.Int32(4)})
	if err != nil {
		t.Fatal(err)
	}
	if got := ecsCounts(out.Service); got != "4/3/4 2 IN_PROGRESS" {
		t.Fatalf("new deployment: %s", got)
	}
	if err := wait("web"); err != nil {
		t.Fatal(err)
	}
	s := ecsDescribe(t, client, "web").Services[0]
	if got := ecsCounts(&s); got != "4/4/0 1 COMPLETED" || aws.ToString(s.Deployments[0].TaskDefinition) != aws.ToString(out.Service.TaskDefinition) {
		t.Fatalf("after the rollout: %s %s", got, aws.ToString(s.Deployments[0].TaskDefinition))
	}
	if err := wait("web", "missing"); err == nil {
		t.Fatal("the waiter accepted a missing service")
	}
}

func TestECSErrors(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 1})
	client := ecs.NewFromConfig(awsConfig(t, url, "us-west-2"))
	ecsSetup(t, client, 1)
	var (
		clusterNF *ecstypes.ClusterNotFoundException
		serviceNF *ecstypes.ServiceNotFoundException
		invalid   *ecstypes.InvalidParameterException
	)
	for _, tc := range []struct {
		desc   string
		call   func() error
		target any
	}{
		{"service in a missing cluster", func() error {
			_, err := client.CreateService(ctx(t), &ecs.CreateServiceInput{ServiceName: aws.String("api"),
				TaskDefinition: aws.String("api"), DesiredCount: aws.Int32(1)})
			return err
		}, &clusterNF},
		{"describe in a missing cluster", func() error {
			_, err := client.DescribeServices(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String("nope"), Services: []string{"web"}})
			return err
		}, &clusterNF},
		{"update a missing service", func() error {
			_, err := client.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), DesiredCount: aws.Int32(1)})
			return err
		}, &serviceNF},
		{"create a service twice", func() error {
			_, err := client.CreateService(ctx(t), &ecs.CreateServiceInput{Cluster: aws.String("prod"), ServiceName: aws.String("web"),
				TaskDefinition: aws.String("web:7"), DesiredCount: aws.Int32(1)})
			return err
		}, &invalid},
		{"negative desired count", func() error {
			_, err := client.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(-1)})
			return err
		}, &invalid},
		{"eleven services", func() error {
			_, err := client.DescribeServices(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String("prod"),
				Services: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}})
			return err
		}, &invalid},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if err := tc.call(); !errors.As(err, tc.target) {
				t.Fatalf("error %v, want %T", err, tc.target)
			}
		})
	}
	out := ecsDescribe(t, client, "arn:aws:ecs:us-west-2:123456789012:service/prod/web", "api")
	if len(out.Services) != 1 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" ||
		aws.ToString(out.Failures[0].Arn) != "arn:aws:ecs:us-west-2:123456789012:service/prod/api" {
		t.Fatalf("describe a present and a missing service: %+v", out)
	}
}

// TestECSStuckService: a stuck fault holds a service's tasks where they
// are; released, they carry on from there.
func TestECSStuckService(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{TimeScale: 1, Start: ecsTestStart})
	client := ecs.NewFromConfig(awsConfig(t, url, "us-east-1"))
	ecsSetup(t, client, 2)
	stuck := Stuck{Service: "ecs", Region: "us-east-1", ID: "prod/web", State: "IN_PROGRESS"}
	if err := sb.faults.apply(Fault{Stuck: &stuck}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		advance time.Duration
		release bool
		want    string
	}{
		{want: "2/0/2 1 IN_PROGRESS"},
		{advance: 10 * time.Minute, want: "2/0/2 1 IN_PROGRESS"},
		{release: true, want: "2/0/2 1 IN_PROGRESS"},
		{advance: 50 * time.Second, want: "2/2/0 1 COMPLETED"},
	} {
		sb.Clock().Advance(step.advance)
		if step.release {
			stuck.State = ""
			if err := sb.faults.apply(Fault{Stuck: &stuck}); err != nil {
				t.Fatal(err)
			}
		}
		if got := ecsCounts(&ecsDescribe(t, client, "web").Services[0]); got != step.want {
			t.Fatalf("after +%v (released %v): %s, want %s", step.advance, step.release, got, step.want)
		}
	}
}
