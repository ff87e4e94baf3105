package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// SSM limits, as the real service enforces them. Parameters and OpsItems
// have no state machine: they exist as soon as they are written.
const (
	ssmStandardValueMax = 4096 // characters in a Standard-tier value
	ssmAdvancedValueMax = 8192
	ssmHierarchyMax     = 15   // levels of a /a/b/c name
	ssmNameMax          = 1011 // characters in a name, as SSM bounds it
	ssmVersionsKept     = 100  // SSM keeps the newest 100 versions
	ssmDefaultKey       = "alias/aws/ssm"
	ssmDefaultOpsType   = "/aws/issue"
)

type ssmRegion struct {
	params   map[string]*ssmParameter
	opsItems map[string]*opsItem
	opsSeq   uint64 // OpsItems created, for ids
}

type ssmParameter struct {
	Name, Type, KeyID, DataType, Tier, Description string
	versions                                       []ssmParamVersion // oldest first
}

// ssmParamVersion is one version of a parameter; Version counts from 1
// and survives the oldest versions being dropped.
type ssmParamVersion struct {
	Version  int64
	Value    string
	Type     string
	Modified time.Time
}

func (p *ssmParameter) latest() ssmParamVersion { return p.versions[len(p.versions)-1] }

// opsItem keeps the members CreateOpsItem was given, as the wire names
// them, to echo in GetOpsItem.
type opsItem struct {
	ID      string
	Created time.Time
	fields  map[string]any
}

func (r *ssmRegion) dump(time.Time) any {
	params := map[string]any{}
	for name, p := range r.params {
		v := p.latest()
		entry := map[string]any{"type": v.Type, "version": v.Version, "last_modified": v.Modified}
		if v.Type != "SecureString" { // a state dump must not leak secrets
			entry["value"] = v.Value
		}
		params[name] = entry
	}
	items := map[string]any{}
	for id, it := range r.opsItems {
		items[id] = map[string]any{"title": it.fields["Title"], "source": it.fields["Source"],
			"severity": it.fields["Severity"], "status": "Open", "created": it.Created}
	}
	return map[string]any{"parameters": params, "ops_items": items}
}

func (c *call) ssm() *ssmRegion {
	return stateOf(c.sb, "ssm", c.region, func() *ssmRegion {
		return &ssmRegion{params: map[string]*ssmParameter{}, opsItems: map[string]*opsItem{}}
	})
}

func registerSSM(s *Sandbox) {
	s.addService(&service{name: "ssm", protocol: jsonProtocol{version: "1.1"}, target: "AmazonSSM",
		throttleCode: "ThrottlingException"},
		&operation{name: "PutParameter", mutating: true, handler: ssmPutParameter},
		&operation{name: "GetParameter", handler: ssmGetParameter},
		&operation{name: "GetParameters", handler: ssmGetParameters},
		&operation{name: "GetParametersByPath", handler: ssmGetParametersByPath},
		&operation{name: "DescribeParameters", handler: ssmDescribeParameters},
		&operation{name: "CreateOpsItem", mutating: true, handler: ssmCreateOpsItem},
		&operation{name: "GetOpsItem", handler: ssmGetOpsItem},
		&operation{name: "DescribeOpsItems", handler: ssmDescribeOpsItems},
	)
}

var ssmNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)

// ssmCheckName applies SSM's naming rules to a parameter being created.
func ssmCheckName(name string) *awsError {
	switch {
	case !ssmNameRE.MatchString(name) || len(name) > ssmNameMax:
		return errorf("ValidationException", "Parameter name %q: only a-z, A-Z, 0-9, _ . - and / are allowed", name)
	case strings.Contains(name, "/") && !strings.HasPrefix(name, "/"):
		return errorf("ValidationException", "Parameter name must be a fully qualified name.")
	case strings.HasPrefix(strings.ToLower(strings.TrimPrefix(name, "/")), "aws"),
		strings.HasPrefix(strings.ToLower(strings.TrimPrefix(name, "/")), "ssm"):
		return errorf("ValidationException", "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).")
	case strings.Count(name, "/") > ssmHierarchyMax:
		return errorf("HierarchyLevelLimitExceededException", "Parameter name %s has more than %d levels.", name, ssmHierarchyMax)
	}
	return nil
}

// ssmConceals reports whether a request may write a SecureString's value,
// which a recording must not hold in plain text: a PutParameter whose
// Type says so, or that names no Type and so keeps the type of the
// parameter it overwrites, whatever that is.
func ssmConceals(c *call) bool {
	if c.service != "ssm" || c.op != "PutParameter" {
		return false
	}
	typ := str(c.input, "Type")
	return typ == "SecureString" || typ == ""
}

func ssmPutParameter(c *call) (any, error) {
	name, err := required(c.input, "Name", "ValidationException")
	if err != nil {
		return nil, err
	}
	value, set := c.input["Value"].(string)
	if !set {
		return nil, errorf("ValidationException", "Value is required")
	}
	overwrite, _ := boolean(c.input, "Overwrite")
	typ := str(c.input, "Type")
	if typ != "" && typ != "String" && typ != "StringList" && typ != "SecureString" {
		return nil, errorf("ValidationException", "Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]", typ)
	}
	if overwrite && len(list(c.input, "Tags")) > 0 {
		return nil, errorf("ValidationException", "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	r := c.ssm()
	p, exists := r.params[name]
	switch {
	case exists && !overwrite:
		return nil, errorf("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	case !exists:
		if aerr := ssmCheckName(name); aerr != nil {
			return nil, aerr
		}
		if typ == "" {
			return nil, errorf("ValidationException", "A parameter type is required when you create a parameter.")
		}
		p = &ssmParameter{Name: name, DataType: "text", Tier: "Standard"}
	}
	tier, aerr := ssmTier(p.Tier, str(c.input, "Tier"), value)
	if aerr != nil {
		return nil, aerr
	}
	p.Tier = tier
	if typ == "" {
		typ = p.latest().Type
	}
	if typ == "SecureString" {
		p.KeyID = str(c.input, "KeyId")
		if p.KeyID == "" {
			p.KeyID = ssmDefaultKey
		}
	}
	if dt := str(c.input, "DataType"); dt != "" {
		p.DataType = dt
	}
	if d := str(c.input, "Description"); d != "" {
		p.Description = d
	}
	next := int64(1)
	if exists {
		next = p.latest().Version + 1
	}
	p.versions = append(p.versions, ssmParamVersion{Version: next, Value: value, Type: typ, Modified: c.now})
	if len(p.versions) > ssmVersionsKept {
		p.versions = p.versions[len(p.versions)-ssmVersionsKept:]
	}
	r.params[name] = p
	return map[string]any{"Version": next, "Tier": p.Tier}, nil
}

// ssmTier returns the tier a parameter gets from a request (cur is its
// tier so far) and checks the value fits it: a parameter can move up to
// Advanced, never back.
func ssmTier(cur, requested, value string) (string, *awsError) {
	tier := cur
	switch requested {
	case "":
	case "Intelligent-Tiering":
		if len(value) > ssmStandardValueMax {
			tier = "Advanced"
		}
	case "Standard":
		if cur == "Advanced" {
			return "", errorf("ValidationException", "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier.")
		}
	case "Advanced":
		tier = "Advanced"
	default:
		return "", errorf("ValidationException", "Value '%s' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]", requested)
	}
	if tier == "Standard" && len(value) > ssmStandardValueMax {
		return "", errorf("ValidationException", "Standard tier parameters support a maximum parameter value of %d characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.", ssmStandardValueMax)
	}
	if len(value) > ssmAdvancedValueMax {
		return "", errorf("ValidationException", "Parameter value exceeds the maximum of %d characters.", ssmAdvancedValueMax)
	}
	return tier, nil
}

// ssmParamARN is a parameter's ARN: a hierarchical name keeps its leading
// slash as the resource's separator.
func ssmParamARN(c *call, name string) string {
	return arn("ssm", c.region, c.account(), "parameter/"+strings.TrimPrefix(name, "/"))
}

// lookup finds the parameter a GetParameter Name names: a name or an
// ARN, either optionally followed by ":<version>" or ":<label>".
func (r *ssmRegion) lookup(ref string) (p *ssmParameter, name, selector string) {
	name = ref
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.SplitN(ref, ":", 6)
		if len(parts) == 6 {
			name = strings.TrimPrefix(parts[5], "parameter")
		}
	}
	if i := strings.LastIndex(name, ":"); i >= 0 {
		name, selector = name[:i], name[i:]
	}
	if p, ok := r.params[name]; ok {
		return p, name, selector
	}
	if p, ok := r.params[strings.TrimPrefix(name, "/")]; ok && strings.HasPrefix(ref, "arn:") {
		return p, p.Name, selector
	}
	return nil, name, selector
}

func ssmGetParameter(c *call) (any, error) {
	ref, err := required(c.input, "Name", "ValidationException")
	if err != nil {
		return nil, err
	}
	v, aerr := c.ssmParameterValue(ref)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"Parameter": v}, nil
}

// ssmParameterValue reads a parameter by name, ARN or name:version, as
// GetParameter answers it: a SecureString's value stays ciphertext unless
// the request asks WithDecryption.
func (c *call) ssmParameterValue(ref string) (map[string]any, *awsError) {
	p, name, selector := c.ssm().lookup(ref)
	if p == nil {
		return nil, errorf("ParameterNotFound", "Parameter %s not found.", name)
	}
	v := p.latest()
	if selector != "" {
		n, convErr := strconv.ParseInt(selector[1:], 10, 64)
		found := false
		for _, pv := range p.versions {
			if convErr == nil && pv.Version == n {
				v, found = pv, true
			}
		}
		if !found {
			return nil, errorf("ParameterVersionNotFound", "Systems Manager could not find version %s of %s. Verify the version and try again.", selector[1:], name)
		}
	}
	value := v.Value
	if decrypt, _ := boolean(c.input, "WithDecryption"); v.Type == "SecureString" && !decrypt {
		value = ssmCiphertext(p.KeyID, v.Value)
	}
	out := map[string]any{
		"Name": p.Name, "Type": v.Type, "Value": value, "Version": v.Version,
		"LastModifiedDate": v.Modified, "ARN": ssmParamARN(c, p.Name), "DataType": p.DataType,
	}
	if selector != "" {
		out["Selector"] = selector
	}
	return out, nil
}

// ssmCiphertext stands in for the KMS ciphertext SSM returns for a
// SecureString read without decryption: opaque, base64, stable.
func ssmCiphertext(keyID, value string) string {
	sum := sha256.Sum256([]byte(keyID + "\x00" + value))
	return base64.StdEncoding.EncodeToString(append([]byte{0x01, 0x02, 0x02, 0x00}, sum[:]...))
}

var opsItemIDRE = regexp.MustCompile(`^oi-[0-9a-f]{12}$`)

// ssmOpsEcho lists the CreateOpsItem members GetOpsItem returns as given,
// by the kind of value each must be.
var ssmOpsEcho = map[string]string{
	"Title": "string", "Description": "string", "Source": "string", "Severity": "string",
	"Category": "string", "OpsItemType": "string",
	"OperationalData": "object", "Notifications": "list", "RelatedOpsItems": "list",
	"PlannedStartTime": "time", "PlannedEndTime": "time", "ActualStartTime": "time", "ActualEndTime": "time",
}

func ssmCreateOpsItem(c *call) (any, error) {
	fields := map[string]any{"OpsItemType": ssmDefaultOpsType}
	for _, k := range []string{"Title", "Description", "Source"} {
		if _, err := required(c.input, k, "ValidationException"); err != nil {
			return nil, err
		}
	}
	for k, kind := range ssmOpsEcho {
		switch v := c.input[k]; kind {
		case "string":
			if s, ok := v.(string); ok && s != "" {
				fields[k] = s
			}
		case "object":
			if m := obj(c.input, k); m != nil {
				fields[k] = m
			}
		case "list":
			if l, ok := v.([]any); ok {
				fields[k] = l
			}
		case "time":
			if ts, ok := v.(float64); ok {
				fields[k] = time.UnixMilli(int64(ts * 1000)).UTC()
			}
		}
	}
	if prio, set, aerr := integer(c.input, "Priority"); aerr != nil {
		return nil, aerr
	} else if set && (prio < 1 || prio > 5) {
		return nil, errorf("ValidationException", "Value '%d' at 'priority' failed to satisfy constraint: Member must have value between 1 and 5", prio)
	} else if set {
		fields["Priority"] = prio
	}
	if sev, ok := fields["Severity"].(string); ok && (len(sev) != 1 || sev < "1" || sev > "4") {
		return nil, errorf("ValidationException", "Value '%s' at 'severity' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[1-4]$", sev)
	}
	r := c.ssm()
	id := r.newOpsItemID(c.region)
	r.opsItems[id] = &opsItem{ID: id, Created: c.now, fields: fields}
	return map[string]any{"OpsItemId": id, "OpsItemArn": opsItemARN(c, id)}, nil
}

// newOpsItemID makes an id like AWS's, oi- and 12 hex digits, unique in
// the Region.
func (r *ssmRegion) newOpsItemID(region string) string {
	for {
		r.opsSeq++
		h := fnv.New64a()
		fmt.Fprintf(h, "%s/%d", region, r.opsSeq)
		id := fmt.Sprintf("oi-%012x", h.Sum64()&0xffffffffffff)
		if _, taken := r.opsItems[id]; !taken {
			return id
		}
	}
}

func opsItemARN(c *call, id string) string {
	return arn("ssm", c.region, c.account(), "opsitem/"+id)
}

func ssmGetOpsItem(c *call) (any, error) {
	id, err := required(c.input, "OpsItemId", "ValidationException")
	if err != nil {
		return nil, err
	}
	if !opsItemIDRE.MatchString(id) {
		return nil, errorf("ValidationException", "Value '%s' at 'opsItemId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(oi)-[0-9a-f]{12}$", id)
	}
	it, ok := c.ssm().opsItems[id]
	if !ok {
		return nil, errorf("OpsItemNotFoundException", "OpsItemId %s not found.", id)
	}
	caller := c.callerARN()
	out := map[string]any{
		"OpsItemId": it.ID, "OpsItemArn": opsItemARN(c, it.ID), "Status": "Open",
		"CreatedTime": it.Created, "LastModifiedTime": it.Created, "CreatedBy": caller, "LastModifiedBy": caller,
		"Version": stableUUID(c.region, it.ID),
	}
	for k, v := range it.fields {
		out[k] = v
	}
	return map[string]any{"OpsItem": out}, nil
}
