package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// KMS keys and aliases as a DR engineer checks them: that the keys the
// data in the recovery Region is encrypted with exist there (multi-Region
// replicas), are enabled, and are not about to be deleted. The sandbox
// keeps keys' metadata; it encrypts nothing.

// kmsState is global: a multi-Region key's primary and replicas share an
// id across Regions.
type kmsState struct {
	keys    map[string]*kmsKey // by Region/id
	aliases map[string]*kmsAlias
	seq     int
}

type kmsKey struct {
	ID, Region, Description, Usage, Spec string
	Created                              time.Time
	Disabled, MultiRegion, Replica       bool
	// deletion is when a key scheduled for deletion is deleted; zero for
	// none.
	deletion time.Time
}

type kmsAlias struct {
	Name, Region, Target string
	Created              time.Time
}

func (s *kmsState) dump(now time.Time) any {
	out := map[string]any{}
	for k, key := range s.keys {
		out[k] = map[string]any{"state": key.state(now), "multi_region": key.MultiRegion, "replica": key.Replica}
	}
	return map[string]any{"keys": out, "aliases": len(s.aliases)}
}

func (c *call) kms() *kmsState {
	return stateOf(c.sb, "kms", "global", func() *kmsState {
		return &kmsState{keys: map[string]*kmsKey{}, aliases: map[string]*kmsAlias{}}
	})
}

func registerKMS(s *Sandbox) {
	s.addService(&service{name: "kms", protocol: jsonProtocol{version: "1.1"}, target: "TrentService",
		throttleCode: "ThrottlingException"},
		&operation{name: "CreateKey", mutating: true, handler: kmsCreateKey},
		&operation{name: "DescribeKey", handler: kmsDescribeKey},
		&operation{name: "ListKeys", handler: kmsListKeys},
		&operation{name: "CreateAlias", mutating: true, handler: kmsCreateAlias},
		&operation{name: "ListAliases", handler: kmsListAliases},
		&operation{name: "ReplicateKey", mutating: true, handler: kmsReplicateKey},
		&operation{name: "EnableKey", mutating: true, handler: kmsEnableKey},
		&operation{name: "DisableKey", mutating: true, handler: kmsDisableKey},
		&operation{name: "ScheduleKeyDeletion", mutating: true, handler: kmsScheduleKeyDeletion},
		&operation{name: "CancelKeyDeletion", mutating: true, handler: kmsCancelKeyDeletion},
	)
}

// state is the key's KeyState: "" once a scheduled deletion has happened.
func (k *kmsKey) state(now time.Time) string {
	switch {
	case !k.deletion.IsZero() && !now.Before(k.deletion):
		return ""
	case !k.deletion.IsZero():
		return "PendingDeletion"
	case k.Disabled:
		return "Disabled"
	}
	return "Enabled"
}

func (c *call) kmsKeyARN(region, id string) string {
	return arn("kms", region, c.account(), "key/"+id)
}

// key finds a live key of the call's Region by id, key ARN, alias name or
// alias ARN, as KMS's KeyId takes any of them.
func (c *call) kmsKey(ref string) (*kmsKey, *awsError) {
	s := c.kms()
	id := ref
	switch {
	case strings.HasPrefix(ref, "arn:") && strings.Contains(ref, ":alias/"):
		if arnRegion(ref) != c.region {
			return nil, c.kmsNotFound(ref)
		}
		id = ref[strings.Index(ref, ":alias/")+1:]
		fallthrough
	case strings.HasPrefix(id, "alias/"):
		a := s.aliases[c.region+"/"+id]
		if a == nil {
			return nil, c.kmsNotFound(ref)
		}
		id = a.Target
	case strings.HasPrefix(ref, "arn:"):
		if arnRegion(ref) != c.region {
			return nil, c.kmsNotFound(ref)
		}
		id = ref[strings.LastIndex(ref, "/")+1:]
	}
	k := s.keys[c.region+"/"+id]
	if k == nil || k.state(c.now) == "" {
		return nil, c.kmsNotFound(ref)
	}
	return k, nil
}

func (c *call) kmsNotFound(ref string) *awsError {
	return errorf("NotFoundException", "Key '%s' does not exist", c.kmsKeyARN(c.region, strings.TrimPrefix(ref, "alias/")))
}

func (c *call) inputKey() (*kmsKey, *awsError) {
	ref, err := required(c.input, "KeyId", "ValidationException")
	if err != nil {
		return nil, err
	}
	return c.kmsKey(ref)
}

func (c *call) keyMetadata(k *kmsKey) map[string]any {
	state := k.state(c.now)
	if st := c.sb.faults.stuckState("kms", k.Region, k.ID); st != "" {
		state = st
	}
	v := map[string]any{"KeyId": k.ID, "Arn": c.kmsKeyARN(k.Region, k.ID), "AWSAccountId": c.account(), "CreationDate": k.Created,
		"Enabled": state == "Enabled", "Description": k.Description, "KeyUsage": k.Usage, "KeySpec": k.Spec,
		"CustomerMasterKeySpec": k.Spec, "KeyState": state, "Origin": "AWS_KMS", "KeyManager": "CUSTOMER",
		"MultiRegion": k.MultiRegion, "EncryptionAlgorithms": []any{"SYMMETRIC_DEFAULT"}}
	if !k.deletion.IsZero() {
		v["DeletionDate"] = k.deletion
	}
	if k.MultiRegion {
		v["MultiRegionConfiguration"] = c.multiRegionConfig(k)
	}
	return v
}

// multiRegionConfig lists a multi-Region key's primary and replicas, live
// ones only, in Region order.
func (c *call) multiRegionConfig(k *kmsKey) map[string]any {
	cfg := map[string]any{"MultiRegionKeyType": "PRIMARY", "ReplicaKeys": []any{}}
	if k.Replica {
		cfg["MultiRegionKeyType"] = "REPLICA"
	}
	s := c.kms()
	var replicas []any
	for _, key := range sortedKeys(s.keys) {
		other := s.keys[key]
		if other.ID != k.ID || other.state(c.now) == "" {
			continue
		}
		ref := map[string]any{"Arn": c.kmsKeyARN(other.Region, other.ID), "Region": other.Region}
		if other.Replica {
			replicas = append(replicas, ref)
		} else {
			cfg["PrimaryKey"] = ref
		}
	}
	if replicas != nil {
		cfg["ReplicaKeys"] = replicas
	}
	return cfg
}

func kmsCreateKey(c *call) (any, error) {
	k := &kmsKey{Region: c.region, Description: str(c.input, "Description"), Usage: str(c.input, "KeyUsage"),
		Spec: str(c.input, "KeySpec"), Created: c.now}
	k.MultiRegion, _ = boolean(c.input, "MultiRegion")
	if k.Usage == "" {
		k.Usage = "ENCRYPT_DECRYPT"
	}
	if k.Spec == "" {
		k.Spec = str(c.input, "CustomerMasterKeySpec")
	}
	if k.Spec == "" {
		k.Spec = "SYMMETRIC_DEFAULT"
	}
	if k.Usage != "ENCRYPT_DECRYPT" && k.Usage != "SIGN_VERIFY" && k.Usage != "GENERATE_VERIFY_MAC" && k.Usage != "KEY_AGREEMENT" {
		return nil, errorf("ValidationException", "KeyUsage '%s' is not one of ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT", k.Usage)
	}
	s := c.kms()
	s.seq++
	h := strings.ToLower(resourceID("", fmt.Sprintf("kms/%s/%d/%s", c.region, s.seq, c.requestID)))
	k.ID = fmt.Sprintf("%s-%s-4%s-8%s-%s", h[:8], h[8:12], h[12:15], h[15:18], h[18:26]+"0000")
	if k.MultiRegion {
		k.ID = "mrk-" + h[:26] + "000000"
	}
	k.ID = c.idOr(k.ID)
	s.keys[c.region+"/"+k.ID] = k
	return map[string]any{"KeyMetadata": c.keyMetadata(k)}, nil
}

func kmsDescribeKey(c *call) (any, error) {
	k, err := c.inputKey()
	if err != nil {
		return nil, err
	}
	return map[string]any{"KeyMetadata": c.keyMetadata(k)}, nil
}

// kmsPage answers one page with KMS's Limit (1 to 1000) and Marker.
func kmsPage(c *call, key string, items []any) (any, error) {
	page, next, err := paginate(c.input, "Limit", "Marker", items, pageLimits{def: 100, min: 1, max: 1000, validation: "ValidationException", code: "ValidationException"})
	if err != nil {
		return nil, err
	}
	out := map[string]any{key: page, "Truncated": next != ""}
	if next != "" {
		out["NextMarker"] = next
	}
	return out, nil
}

func kmsListKeys(c *call) (any, error) {
	s := c.kms()
	items := []any{}
	for _, key := range sortedKeys(s.keys) {
		if k := s.keys[key]; k.Region == c.region && k.state(c.now) != "" {
			items = append(items, map[string]any{"KeyId": k.ID, "KeyArn": c.kmsKeyARN(k.Region, k.ID)})
		}
	}
	return kmsPage(c, "Keys", items)
}

func kmsCreateAlias(c *call) (any, error) {
	name, err := required(c.input, "AliasName", "ValidationException")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(name, "alias/") || len(name) <= len("alias/") {
		return nil, errorf("ValidationException", "Alias name '%s' must begin with alias/ and name the alias", name)
	}
	if strings.HasPrefix(name, "alias/aws/") {
		return nil, errorf("NotAuthorizedException", "Alias names that begin with alias/aws/ are reserved for AWS managed keys")
	}
	target, err := required(c.input, "TargetKeyId", "ValidationException")
	if err != nil {
		return nil, err
	}
	k, aerr := c.kmsKey(target)
	if aerr != nil {
		return nil, aerr
	}
	s := c.kms()
	if _, exists := s.aliases[c.region+"/"+name]; exists {
		return nil, errorf("AlreadyExistsException", "An alias with the name %s already exists", arn("kms", c.region, c.account(), name))
	}
	s.aliases[c.region+"/"+name] = &kmsAlias{Name: name, Region: c.region, Target: k.ID, Created: c.now}
	return map[string]any{}, nil
}

func kmsListAliases(c *call) (any, error) {
	s := c.kms()
	var want *kmsKey
	if ref := str(c.input, "KeyId"); ref != "" {
		k, err := c.kmsKey(ref)
		if err != nil {
			return nil, err
		}
		want = k
	}
	items := []any{}
	for _, key := range sortedKeys(s.aliases) {
		a := s.aliases[key]
		if a.Region != c.region || want != nil && a.Target != want.ID {
			continue
		}
		if k := s.keys[a.Region+"/"+a.Target]; k == nil || k.state(c.now) == "" {
			continue // a deleted key's aliases go with it
		}
		items = append(items, map[string]any{"AliasName": a.Name, "AliasArn": arn("kms", a.Region, c.account(), a.Name),
			"TargetKeyId": a.Target, "CreationDate": a.Created, "LastUpdatedDate": a.Created})
	}
	return kmsPage(c, "Aliases", items)
}

// kmsReplicateKey makes a replica of a multi-Region primary key in
// another Region, under the same id; it fails while that Region is out.
func kmsReplicateKey(c *call) (any, error) {
	k, err := c.inputKey()
	if err != nil {
		return nil, err
	}
	region, err := required(c.input, "ReplicaRegion", "ValidationException")
	if err != nil {
		return nil, err
	}
	switch {
	case !k.MultiRegion:
		return nil, errorf("UnsupportedOperationException", "%s is not a multi-Region key", c.kmsKeyARN(k.Region, k.ID))
	case k.Replica:
		return nil, errorf("UnsupportedOperationException", "%s is a replica key: replicate its primary key", c.kmsKeyARN(k.Region, k.ID))
	case !scopeRegionRE.MatchString(region) || region == k.Region:
		return nil, errorf("ValidationException", "ReplicaRegion '%s' must be an AWS Region other than the primary key's", clip(region))
	case c.sb.faults.downFor(region, "kms"):
		return nil, &awsError{Code: "KMSInternalException", Message: "KMS is unavailable in " + region, Status: http.StatusInternalServerError}
	}
	s := c.kms()
	if old := s.keys[region+"/"+k.ID]; old != nil && old.state(c.now) != "" {
		return nil, errorf("AlreadyExistsException", "A replica of %s already exists in %s", k.ID, region)
	}
	replica := &kmsKey{ID: k.ID, Region: region, Description: k.Description, Usage: k.Usage, Spec: k.Spec, Created: c.now,
		MultiRegion: true, Replica: true}
	if d := str(c.input, "Description"); d != "" {
		replica.Description = d
	}
	s.keys[region+"/"+k.ID] = replica
	return map[string]any{"ReplicaKeyMetadata": c.keyMetadata(replica), "ReplicaPolicy": kmsDefaultPolicy(c.account())}, nil
}

func kmsDefaultPolicy(account string) string {
	return `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"kms:*","Resource":"*"}]}`
}

func kmsEnableKey(c *call) (any, error)  { return kmsSetDisabled(c, false) }
func kmsDisableKey(c *call) (any, error) { return kmsSetDisabled(c, true) }

func kmsSetDisabled(c *call, disabled bool) (any, error) {
	k, err := c.inputKey()
	if err != nil {
		return nil, err
	}
	if !k.deletion.IsZero() {
		return nil, errorf("KMSInvalidStateException", "%s is pending deletion.", c.kmsKeyARN(k.Region, k.ID))
	}
	k.Disabled = disabled
	return map[string]any{}, nil
}

// kmsScheduleKeyDeletion deletes a key after a waiting period of 7 to 30
// days; a primary key with live replicas waits for them, as KMS does.
func kmsScheduleKeyDeletion(c *call) (any, error) {
	k, err := c.inputKey()
	if err != nil {
		return nil, err
	}
	days, set, aerr := integer(c.input, "PendingWindowInDays")
	if aerr != nil {
		return nil, aerr
	}
	if !set {
		days = 30
	}
	if days < 7 || days > 30 {
		return nil, errorf("ValidationException", "PendingWindowInDays must be from 7 to 30")
	}
	if !k.deletion.IsZero() {
		return nil, errorf("KMSInvalidStateException", "%s is pending deletion.", c.kmsKeyARN(k.Region, k.ID))
	}
	if k.MultiRegion && !k.Replica {
		if replicas := asList(c.multiRegionConfig(k)["ReplicaKeys"]); len(replicas) > 0 {
			return nil, errorf("KMSInvalidStateException", "%s has %d replica keys: schedule their deletion first", c.kmsKeyARN(k.Region, k.ID), len(replicas))
		}
	}
	k.deletion = c.now.Add(time.Duration(days) * 24 * time.Hour)
	return map[string]any{"KeyId": c.kmsKeyARN(k.Region, k.ID), "DeletionDate": k.deletion, "KeyState": "PendingDeletion",
		"PendingWindowInDays": days}, nil
}

func kmsCancelKeyDeletion(c *call) (any, error) {
	k, err := c.inputKey()
	if err != nil {
		return nil, err
	}
	if k.deletion.IsZero() {
		return nil, errorf("KMSInvalidStateException", "%s is not pending deletion.", c.kmsKeyARN(k.Region, k.ID))
	}
	k.deletion, k.Disabled = time.Time{}, true // a key whose deletion is cancelled is disabled
	return map[string]any{"KeyId": c.kmsKeyARN(k.Region, k.ID)}, nil
}
