package steps

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/waiter"
)

// pollDelays bound the pause between a wait's polls: the first pause is
// Min, and each later one is drawn, as the SDK's waiters draw it, between
// Min and a ceiling that doubles up to Max.
type pollDelays struct{ Min, Max time.Duration }

// next is the pause after a wait's nth poll (n from 1): the SDK's own
// computation, so that a wait polls no more often than the SDK's waiter
// for the same resource would.
func (d pollDelays) next(n int) time.Duration {
	// The remaining time is the step's timeout, which ends the wait
	// through its context; the delay itself is not shortened for it.
	delay, err := waiter.ComputeDelay(int64(n), d.Min, d.Max, time.Duration(1<<62))
	if err != nil { // only for a zero Min or Max, which withDefaults rules out
		return d.Max
	}
	return delay
}

// withDefaults fills in 5 s and 60 s for a wait that names neither.
func (d pollDelays) withDefaults() pollDelays {
	if d.Min <= 0 {
		d.Min = 5 * time.Second
	}
	if d.Max < d.Min {
		d.Max = max(60*time.Second, d.Min)
	}
	return d
}

// The delays of the SDK's waiters, read from each waiter's defaults (a
// waiter made without a client is never run), for every wait whose
// resource has one, so that drpilot's wait polls no more often than the
// SDK's. Waits without an SDK waiter (a health check's status, a routing
// control, a restore job, an FIS experiment...) set their own.
var (
	volumeAvailableDelays = sdkDelays(func(f delaySetter) {
		ec2.NewVolumeAvailableWaiter(nil, func(o *ec2.VolumeAvailableWaiterOptions) { f(o.MinDelay, o.MaxDelay) })
	})
	volumeInUseDelays = sdkDelays(func(f delaySetter) {
		ec2.NewVolumeInUseWaiter(nil, func(o *ec2.VolumeInUseWaiterOptions) { f(o.MinDelay, o.MaxDelay) })
	})
	dbInstanceDelays = sdkDelays(func(f delaySetter) {
		rds.NewDBInstanceAvailableWaiter(nil, func(o *rds.DBInstanceAvailableWaiterOptions) { f(o.MinDelay, o.MaxDelay) })
	})
	tableExistsDelays = sdkDelays(func(f delaySetter) {
		dynamodb.NewTableExistsWaiter(nil, func(o *dynamodb.TableExistsWaiterOptions) { f(o.MinDelay, o.MaxDelay) })
	})
	stackCompleteDelays = sdkDelays(func(f delaySetter) {
		cloudformation.NewStackUpdateCompleteWaiter(nil, func(o *cloudformation.StackUpdateCompleteWaiterOptions) { f(o.MinDelay, o.MaxDelay) })
	})
	changeSetCreatedDelays = sdkDelays(func(f delaySetter) {
		cloudformation.NewChangeSetCreateCompleteWaiter(nil, func(o *cloudformation.ChangeSetCreateCompleteWaiterOptions) { f(o.MinDelay, o.MaxDelay) })
	})
	servicesStableDelays = sdkDelays(func(f delaySetter) {
		ecs.NewServicesStableWaiter(nil, func(o *ecs.ServicesStableWaiterOptions) { f(o.MinDelay, o.MaxDelay) })
	})
	targetInServiceDelays = sdkDelays(func(f delaySetter) {
		elbv2.NewTargetInServiceWaiter(nil, func(o *elbv2.TargetInServiceWaiterOptions) { f(o.MinDelay, o.MaxDelay) })
	})
	groupInServiceDelays = sdkDelays(func(f delaySetter) {
		autoscaling.NewGroupInServiceWaiter(nil, func(o *autoscaling.GroupInServiceWaiterOptions) { f(o.MinDelay, o.MaxDelay) })
	})
	recordsChangedDelays = sdkDelays(func(f delaySetter) {
		route53.NewResourceRecordSetsChangedWaiter(nil, func(o *route53.ResourceRecordSetsChangedWaiterOptions) { f(o.MinDelay, o.MaxDelay) })
	})
	objectExistsDelays = sdkDelays(func(f delaySetter) {
		s3.NewObjectExistsWaiter(nil, func(o *s3.ObjectExistsWaiterOptions) { f(o.MinDelay, o.MaxDelay) })
	})
)

// delaySetter receives a waiter's delays from its options.
type delaySetter func(least, most time.Duration)

// sdkDelays captures the delays a waiter constructor sets by default, with
// the ceiling lowered to recoveryCeiling.
func sdkDelays(newWaiter func(delaySetter)) pollDelays {
	var d pollDelays
	newWaiter(func(least, most time.Duration) { d = pollDelays{least, min(most, recoveryCeiling)} })
	return d
}

// recoveryCeiling caps the pause between polls. Two SDK waiters let it
// grow far beyond: 30 minutes for a DB instance, 10 for an ECS service.
// Their draw between the floor and the ceiling would leave a restored
// database unnoticed for up to half an hour, all of it counted against the
// RTO; past 2 minutes, those waits poll somewhat more often than the SDK's
// would, which docs/executor.md says.
const recoveryCeiling = 2 * time.Minute
