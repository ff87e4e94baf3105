package steps

import (
	"testing"
	"time"
)

func TestPollDelaysDrawAsTheSDKsWaitersDo(t *testing.T) {
	d := pollDelays{15 * time.Second, 120 * time.Second}
	if got := d.next(1); got != d.Min {
		t.Errorf("first pause = %v, want the floor %v", got, d.Min)
	}
	for n := 2; n <= 12; n++ {
		ceiling := min(d.Max, d.Min<<(n-1))
		for range 50 {
			if got := d.next(n); got < d.Min || got > ceiling {
				t.Fatalf("pause after poll %d = %v, want within [%v, %v]", n, got, d.Min, ceiling)
			}
		}
	}
}

func TestPollDelaysDefaults(t *testing.T) {
	if d := (pollDelays{}).withDefaults(); d != (pollDelays{5 * time.Second, 60 * time.Second}) {
		t.Errorf("defaults = %+v", d)
	}
	if d := (pollDelays{Min: 90 * time.Second}).withDefaults(); d.Max != 90*time.Second {
		t.Errorf("a floor above the default ceiling keeps the floor as ceiling, got %+v", d)
	}
}

func TestSDKWaiterDelaysAreCaptured(t *testing.T) {
	for name, d := range map[string]pollDelays{
		"VolumeAvailable": volumeAvailableDelays, "VolumeInUse": volumeInUseDelays,
		"DBInstanceAvailable": dbInstanceDelays, "TableExists": tableExistsDelays,
		"StackUpdateComplete": stackCompleteDelays, "ChangeSetCreateComplete": changeSetCreatedDelays,
		"ServicesStable": servicesStableDelays, "TargetInService": targetInServiceDelays,
		"GroupInService": groupInServiceDelays, "ResourceRecordSetsChanged": recordsChangedDelays,
		"ObjectExists": objectExistsDelays,
	} {
		if d.Min <= 0 || d.Max < d.Min || d.Max > recoveryCeiling {
			t.Errorf("%s: delays %+v: want 0 < min <= max <= %v", name, d, recoveryCeiling)
		}
	}
	// The two waiters whose ceiling the SDK sets past recoveryCeiling.
	if dbInstanceDelays.Max != recoveryCeiling || servicesStableDelays.Max != recoveryCeiling {
		t.Errorf("DB instance and ECS waits stop growing at %v: %+v %+v", recoveryCeiling, dbInstanceDelays, servicesStableDelays)
	}
}
