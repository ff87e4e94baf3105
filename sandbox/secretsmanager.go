package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// Secrets Manager: secrets with one current value, replicated to other
// Regions, and promoted there. A replica is a secret of its own Region
// (same name, same ARN suffix) whose PrimaryRegion names the primary's;
// the primary lists its replicas in ReplicationStatus.
const (
	// smReplication is how long a new replica is InProgress before
	// InSync.
	smReplication = 30 * time.Second
	// smPromotion is how long a replica keeps its PrimaryRegion after
	// StopReplicationToReplica: the promotion is asynchronous.
	smPromotion = 10 * time.Second
)

type smRegion struct {
	secrets map[string]*secret // by name
}

type secret struct {
	Name, ARN, Description, VersionID string
	value                             string // SecretString
	binary                            []byte // SecretBinary
	Created                           time.Time
	// primary is the primary's Region for a replica, "" for a primary or
	// a standalone secret; promotedAt, when set, is when a promoted
	// replica stops naming it.
	primary    string
	promotedAt time.Time
	replicas   map[string]time.Time // a primary's replica Regions: since when
}

// dump leaves the values out: the sandbox's state is shown to anyone.
func (r *smRegion) dump(now time.Time) any {
	out := map[string]any{}
	for name, s := range r.secrets {
		out[name] = map[string]any{"arn": s.ARN, "primary_region": s.primaryRegion(now), "replicas": sortedKeys(s.replicas)}
	}
	return map[string]any{"secrets": out}
}

func (c *call) secretsIn(region string) *smRegion {
	return stateOf(c.sb, "secretsmanager", region, func() *smRegion { return &smRegion{secrets: map[string]*secret{}} })
}

func registerSecretsManager(s *Sandbox) {
	s.addService(&service{name: "secretsmanager", protocol: jsonProtocol{version: "1.1"}, target: "secretsmanager",
		throttleCode: "ThrottlingException"},
		&operation{name: "CreateSecret", mutating: true, handler: smCreateSecret},
		&operation{name: "DescribeSecret", handler: smDescribeSecret},
		&operation{name: "ListSecrets", handler: smListSecrets},
		// Reading a value decrypts it and records the access: drpilot
		// classifies it as mutating, so that a dry run reads none.
		&operation{name: "GetSecretValue", mutating: true, handler: smGetSecretValue},
		&operation{name: "ReplicateSecretToRegions", mutating: true, handler: smReplicateSecret},
		&operation{name: "StopReplicationToReplica", mutating: true, handler: smStopReplication},
	)
}

// primaryRegion is the Region a replica's primary is in, as
// DescribeSecret shows it now; "" for a primary or standalone secret.
func (s *secret) primaryRegion(now time.Time) string {
	if !s.promotedAt.IsZero() && !now.Before(s.promotedAt) {
		return ""
	}
	return s.primary
}

// smARN is a secret's ARN in a Region: its name and six characters that
// are the same in every Region, as a replica's are the primary's.
func smARN(c *call, region, name string) string {
	sum := sha256.Sum256([]byte(c.account() + "/" + name))
	return arn("secretsmanager", region, c.account(), "secret:"+name+"-"+hex.EncodeToString(sum[:3]))
}

// findSecret resolves a SecretId, a name or an ARN (complete, or without
// its six-character suffix), in the call's Region.
func (c *call) findSecret() (*secret, *awsError) {
	id, err := required(c.input, "SecretId", "InvalidParameterException")
	if err != nil {
		return nil, err
	}
	r := c.secretsIn(c.region)
	if s, ok := r.secrets[id]; ok && !strings.HasPrefix(id, "arn:") {
		return s, nil
	}
	for _, s := range r.secrets {
		if id == s.ARN || strings.HasPrefix(id, "arn:") && id == s.ARN[:len(s.ARN)-7] {
			return s, nil
		}
	}
	return nil, notFound("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

func smCreateSecret(c *call) (any, error) {
	name, err := required(c.input, "Name", "InvalidParameterException")
	if err != nil {
		return nil, err
	}
	r := c.secretsIn(c.region)
	if _, exists := r.secrets[name]; exists {
		return nil, errorf("ResourceExistsException", "The operation failed because the secret %s already exists.", name)
	}
	s := &secret{Name: name, ARN: smARN(c, c.region, name), Description: str(c.input, "Description"),
		VersionID: resourceID("", name+c.now.String()), value: str(c.input, "SecretString"), Created: c.now,
		replicas: map[string]time.Time{}}
	if b, ok := c.input["SecretBinary"].(string); ok {
		blob, decodeErr := base64.StdEncoding.DecodeString(b)
		if decodeErr != nil {
			return nil, errorf("InvalidParameterException", "SecretBinary is not base64")
		}
		s.binary = blob
	}
	if aerr := c.addReplicas(s); aerr != nil {
		return nil, aerr
	}
	r.secrets[name] = s
	return map[string]any{"ARN": s.ARN, "Name": s.Name, "VersionId": s.VersionID, "ReplicationStatus": c.replicationStatus(s)}, nil
}

// addReplicas makes a replica of s in each Region of AddReplicaRegions: a
// secret there with its name and value, InProgress for smReplication.
func (c *call) addReplicas(s *secret) *awsError {
	for _, item := range list(c.input, "AddReplicaRegions") {
		region := str(asMap(item), "Region")
		if region == "" || region == c.region {
			return errorf("InvalidParameterException", "A replica Region must be given and differ from the primary's (%s).", c.region)
		}
		if !scopeRegionRE.MatchString(region) {
			return errorf("InvalidParameterException", "Invalid replica Region %s.", region)
		}
		there := c.secretsIn(region)
		if _, exists := there.secrets[s.Name]; exists {
			return errorf("ResourceExistsException", "A secret named %s already exists in %s.", s.Name, region)
		}
		there.secrets[s.Name] = &secret{Name: s.Name, ARN: smARN(c, region, s.Name), Description: s.Description,
			VersionID: s.VersionID, value: s.value, binary: s.binary, Created: c.now, primary: c.region}
		s.replicas[region] = c.now
	}
	return nil
}

// replicationStatus is a primary's ReplicationStatus member.
func (c *call) replicationStatus(s *secret) []any {
	out := []any{}
	for _, region := range sortedKeys(s.replicas) {
		status := "InSync"
		if c.now.Before(s.replicas[region].Add(smReplication)) {
			status = "InProgress"
		}
		out = append(out, map[string]any{"Region": region, "Status": status, "StatusMessage": "Replication " + strings.ToLower(status)})
	}
	return out
}

// secretValue is a secret as DescribeSecret and ListSecrets give it.
func (c *call) secretValue(s *secret) map[string]any {
	v := map[string]any{"ARN": s.ARN, "Name": s.Name, "CreatedDate": s.Created, "LastChangedDate": s.Created,
		"VersionIdsToStages": map[string]any{s.VersionID: []any{"AWSCURRENT"}}}
	if s.Description != "" {
		v["Description"] = s.Description
	}
	if p := s.primaryRegion(c.now); p != "" {
		v["PrimaryRegion"] = p
	}
	if len(s.replicas) > 0 {
		v["ReplicationStatus"] = c.replicationStatus(s)
	}
	return v
}

func smDescribeSecret(c *call) (any, error) {
	s, err := c.findSecret()
	if err != nil {
		return nil, err
	}
	return c.secretValue(s), nil
}

func smListSecrets(c *call) (any, error) {
	r := c.secretsIn(c.region)
	names := sortedKeys(r.secrets)
	items := make([]any, 0, len(names))
	for _, name := range names {
		items = append(items, c.secretValue(r.secrets[name]))
	}
	return listPage("SecretList", "NextToken", c.input, "MaxResults", "NextToken", items, pageLimits{def: 100, min: 1, max: 100, validation: "ValidationException"})
}

func smGetSecretValue(c *call) (any, error) {
	s, err := c.findSecret()
	if err != nil {
		return nil, err
	}
	out := map[string]any{"ARN": s.ARN, "Name": s.Name, "VersionId": s.VersionID, "VersionStages": []any{"AWSCURRENT"}, "CreatedDate": s.Created}
	if s.binary != nil {
		out["SecretBinary"] = s.binary
	} else {
		out["SecretString"] = s.value
	}
	return out, nil
}

// smReplicateSecret adds replicas to a primary secret.
func smReplicateSecret(c *call) (any, error) {
	s, err := c.findSecret()
	if err != nil {
		return nil, err
	}
	if s.primaryRegion(c.now) != "" {
		return nil, errorf("InvalidRequestException", "Operation is not allowed on a replica secret: call it in the primary Region, %s.", s.primary)
	}
	if aerr := c.addReplicas(s); aerr != nil {
		return nil, aerr
	}
	return map[string]any{"ARN": s.ARN, "ReplicationStatus": c.replicationStatus(s)}, nil
}

// smStopReplication promotes a replica to a standalone secret of its
// Region. It is called in the replica's Region, and works while the
// primary's is out: that is what it is for. The replica keeps naming its
// primary for smPromotion; the primary stops listing it at once.
func smStopReplication(c *call) (any, error) {
	s, err := c.findSecret()
	if err != nil {
		return nil, err
	}
	if s.primary == "" {
		return nil, errorf("InvalidRequestException", "Operation is not allowed on a primary secret.")
	}
	if s.promotedAt.IsZero() {
		s.promotedAt = c.now.Add(smPromotion)
		if p, ok := c.secretsIn(s.primary).secrets[s.Name]; ok {
			delete(p.replicas, c.region)
		}
	}
	return map[string]any{"ARN": s.ARN}, nil
}
