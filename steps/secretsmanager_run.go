package steps

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"
)

// secretsmanager.promote-replica: StopReplicationToReplica in the replica's
// Region, unless the secret already stands alone, then wait until
// DescribeSecret no longer names a primary. StopReplicationToReplica
// takes no client token, hence the check before it.

// A promotion takes seconds.
const (
	secretPollInterval    = 5 * time.Second
	secretPollMaxInterval = 30 * time.Second
)

func runSecretsManagerPromoteReplica(ctx context.Context, s *StepRun) (map[string]any, error) {
	id := s.String("secret_id")
	if region := arnRegion(id); strings.HasPrefix(id, "arn:") && region != s.Region() {
		return nil, fmt.Errorf("secret_id is the ARN of a secret in %s, but the step runs in %s: a replica's ARN names its own Region; "+
			"give the replica's ARN or its name, and run the step in the replica's Region", region, s.Region())
	}
	in := map[string]any{"SecretId": id}
	desc, err := s.Read(ctx, "secretsmanager:DescribeSecret", in)
	if errorCode(err) == "ResourceNotFoundException" {
		return nil, fmt.Errorf("secret %s does not exist in %s: check secret_id and the step's region (a replica lives in the Region it was replicated to)", id, s.Region())
	}
	if err != nil {
		return nil, fmt.Errorf("look up secret %s: %w", id, err)
	}
	primary := respString(desc, "PrimaryRegion")
	if primary == "" {
		s.Note("secret %s names no primary Region: it already stands alone in %s (promoted earlier?%s), so it is not promoted again",
			id, s.Region(), replicasOf(desc))
	} else {
		// The promoted secret is the replica as it is, without its primary.
		guess := maps.Clone(desc)
		delete(guess, "PrimaryRegion")
		if _, err := s.Mutate(ctx, "secretsmanager:StopReplicationToReplica", in, guess); err != nil {
			return nil, fmt.Errorf("promote replica secret %s (of %s's): %w", id, primary, err)
		}
	}
	out, err := s.Wait(ctx, WaitSpec{Operation: "secretsmanager:DescribeSecret", Input: in, Check: secretStandalone,
		Delays: pollDelays{secretPollInterval, secretPollMaxInterval}})
	if err != nil {
		return nil, err
	}
	out = maps.Clone(out)
	out["FormerPrimaryRegion"] = primary
	return out, nil
}

// replicasOf says, for a secret that stands alone, which Regions it is
// the primary of: a step run in the primary Region by mistake finds one.
func replicasOf(desc map[string]any) string {
	var regions []string
	for _, item := range respList(desc, "ReplicationStatus") {
		regions = append(regions, respString(respMap(item), "Region"))
	}
	if len(regions) == 0 {
		return ""
	}
	return "; it is the primary of replicas in " + strings.Join(regions, ", ")
}

// secretStandalone is the Check of the promotion's wait.
func secretStandalone(out map[string]any) (string, bool, error) {
	if primary := respString(out, "PrimaryRegion"); primary != "" {
		return "replica of " + primary, false, nil
	}
	return "standalone", true, nil
}
