package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// What the sandbox reads of a CloudFormation template: its Parameters
// (with defaults), its Resources (logical id, Type, Properties) and its
// Outputs. It provisions nothing: a resource is a logical id, a type and
// a synthetic physical id, enough for change sets to say what would be
// added, modified or removed, and for outputs that name resources to have
// values. Properties are compared, not interpreted.

// cfnMaxBody is the largest TemplateBody CloudFormation accepts.
const cfnMaxBody = 51200

type cfnTemplate struct {
	description string
	params      map[string]cfnParam
	resources   map[string]cfnResource
	outputs     map[string]cfnOutput
}

type cfnParam struct {
	def        string
	hasDefault bool
	noEcho     bool
}

type cfnResource struct {
	Type  string
	Props any
}

type cfnOutput struct {
	Value       any
	Description string
}

// parseStackTemplate reads a JSON or YAML template, refusing what CloudFormation
// refuses with its "Template format error" messages.
func parseStackTemplate(body string) (*cfnTemplate, *awsError) {
	if len(body) > cfnMaxBody {
		return nil, errorf("ValidationError", "1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to %d", cfnMaxBody)
	}
	doc, err := templateDocument(body)
	if err != nil {
		return nil, err
	}
	t := &cfnTemplate{params: map[string]cfnParam{}, resources: map[string]cfnResource{}, outputs: map[string]cfnOutput{}}
	t.description, _ = doc["Description"].(string)
	for name, v := range asMap(doc["Parameters"]) {
		p := asMap(v)
		def, ok := p["Default"]
		t.params[name] = cfnParam{def: fmt.Sprint(def), hasDefault: ok, noEcho: fmt.Sprint(p["NoEcho"]) == "true"}
	}
	resources := asMap(doc["Resources"])
	if len(resources) == 0 {
		return nil, errorf("ValidationError", "Template format error: At least one Resources member must be defined.")
	}
	for id, v := range resources {
		r := asMap(v)
		typ, _ := r["Type"].(string)
		if typ == "" {
			return nil, errorf("ValidationError", "Template format error: [/Resources/%s] Every Resources object must contain a Type member.", id)
		}
		t.resources[id] = cfnResource{Type: typ, Props: r["Properties"]}
	}
	for key, v := range asMap(doc["Outputs"]) {
		o := asMap(v)
		if _, ok := o["Value"]; !ok {
			return nil, errorf("ValidationError", "Template format error: Every Outputs member must contain a Value object, the output %s does not.", key)
		}
		desc, _ := o["Description"].(string)
		t.outputs[key] = cfnOutput{Value: o["Value"], Description: desc}
	}
	return t, nil
}

// templateDocument decodes a template: JSON when it starts as JSON does,
// else YAML, whose short-form intrinsic functions (!Ref, !GetAtt, !Sub)
// become their long forms.
func templateDocument(body string) (map[string]any, *awsError) {
	if trimmed := bytes.TrimSpace([]byte(body)); len(trimmed) > 0 && trimmed[0] == '{' {
		var doc map[string]any
		if err := json.Unmarshal(trimmed, &doc); err != nil {
			return nil, errorf("ValidationError", "Template format error: JSON not well-formed. (%v)", err)
		}
		return doc, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(body), &root); err != nil {
		return nil, errorf("ValidationError", "Template format error: YAML not well-formed. (%v)", err)
	}
	doc, ok := yamlValue(&root).(map[string]any)
	if !ok {
		return nil, errorf("ValidationError", "Template format error: unsupported structure.")
	}
	return doc, nil
}

// yamlValue converts a YAML node to the values JSON decodes to, scalars
// as strings: the sandbox compares them, it does not compute with them.
func yamlValue(n *yaml.Node) any {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return yamlValue(n.Content[0])
	case yaml.AliasNode:
		return yamlValue(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = yamlValue(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			l = append(l, yamlValue(c))
		}
		v = l
	default:
		v = n.Value
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v
	}
	switch fn := n.Tag[1:]; fn {
	case "Ref", "Condition":
		return map[string]any{fn: v}
	case "GetAtt":
		if s, ok := v.(string); ok {
			id, attr, _ := strings.Cut(s, ".")
			v = []any{id, attr}
		}
		return map[string]any{"Fn::GetAtt": v}
	default:
		return map[string]any{"Fn::" + fn: v}
	}
}

// cfnEval resolves the intrinsic functions the sandbox understands (Ref,
// Fn::GetAtt, Fn::Sub, Fn::Join) against a stack's parameters, pseudo
// parameters and resources' physical ids.
type cfnEval struct {
	params    map[string]string
	pseudo    map[string]string
	block     string            // "Resources" or "Outputs", for errors
	physical  map[string]string // logical id → physical id
	attribute func(id, attr string) string
}

var subRef = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// value resolves v. strict refuses functions the sandbox cannot resolve
// (an output must have a value); otherwise they are left as they are
// (properties are only compared).
func (e *cfnEval) value(v any, strict bool) (any, *awsError) {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			r, err := e.value(item, strict)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for fn, arg := range x {
				if fn == "Ref" || strings.HasPrefix(fn, "Fn::") {
					return e.function(fn, arg, strict)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, item := range x {
			r, err := e.value(item, strict)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

func (e *cfnEval) function(fn string, arg any, strict bool) (any, *awsError) {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		if v, ok := e.ref(name); ok {
			return v, nil
		}
		return nil, errorf("ValidationError", "Template format error: Unresolved resource dependencies [%s] in the %s block of the template", name, e.block)
	case "Fn::GetAtt":
		l, _ := arg.([]any)
		if len(l) == 2 {
			id, attr := fmt.Sprint(l[0]), fmt.Sprint(l[1])
			if _, ok := e.physical[id]; ok {
				return e.attribute(id, attr), nil
			}
			return nil, errorf("ValidationError", "Template error: instance of Fn::GetAtt references undefined resource %s", id)
		}
		return nil, errorf("ValidationError", "Template error: every Fn::GetAtt object requires two non-empty parameters")
	case "Fn::Sub":
		s, ok := arg.(string)
		if !ok {
			break
		}
		var missing *awsError
		out := subRef.ReplaceAllStringFunc(s, func(m string) string {
			name := m[2 : len(m)-1]
			if id, attr, dotted := strings.Cut(name, "."); dotted {
				if _, ok := e.physical[id]; ok {
					return e.attribute(id, attr)
				}
			} else if v, ok := e.ref(name); ok {
				return v
			}
			missing = errorf("ValidationError", "Template format error: Unresolved resource dependencies [%s] in the %s block of the template", name, e.block)
			return m
		})
		return out, missing
	case "Fn::Join":
		l, _ := arg.([]any)
		if len(l) != 2 {
			break
		}
		items, _ := e.value(l[1], strict)
		parts, _ := items.([]any)
		strs := make([]string, len(parts))
		for i, p := range parts {
			strs[i] = fmt.Sprint(p)
		}
		return strings.Join(strs, fmt.Sprint(l[0])), nil
	}
	if strict {
		return nil, errorf("ValidationError", "Template format error: the sandbox resolves Ref, Fn::GetAtt, Fn::Sub and Fn::Join in Outputs, not %s", fn)
	}
	return map[string]any{fn: arg}, nil
}

// ref is what Ref of name gives: a parameter's value, a pseudo
// parameter's, or a resource's physical id.
func (e *cfnEval) ref(name string) (string, bool) {
	if v, ok := e.params[name]; ok {
		return v, true
	}
	if v, ok := e.pseudo[name]; ok {
		return v, true
	}
	v, ok := e.physical[name]
	return v, ok
}

// stackParams resolves a change set's parameters against the template:
// given values, previous values where asked for, then defaults. It
// refuses unknown and missing parameters as CloudFormation does.
func stackParams(t *cfnTemplate, given []any, previous map[string]string) (map[string]string, *awsError) {
	out := map[string]string{}
	var unknown []string
	for _, g := range given {
		p := asMap(g)
		key := str(p, "ParameterKey")
		if _, ok := t.params[key]; !ok {
			unknown = append(unknown, key)
			continue
		}
		if use, _ := boolean(p, "UsePreviousValue"); use {
			out[key] = previous[key]
			continue
		}
		out[key] = str(p, "ParameterValue")
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, errorf("ValidationError", "Parameters: [%s] do not exist in the template", strings.Join(unknown, ", "))
	}
	var missing []string
	for name, p := range t.params {
		if _, ok := out[name]; ok {
			continue
		}
		if !p.hasDefault {
			missing = append(missing, name)
			continue
		}
		out[name] = p.def
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, errorf("ValidationError", "Parameters: [%s] must have values", strings.Join(missing, ", "))
	}
	return out, nil
}

// iamCapability is the capability a template's IAM resources need, or "":
// CAPABILITY_NAMED_IAM when one has a custom name.
func iamCapability(t *cfnTemplate) string {
	need := ""
	for _, r := range t.resources {
		if !strings.HasPrefix(r.Type, "AWS::IAM::") {
			continue
		}
		need = "CAPABILITY_IAM"
		for _, name := range []string{"RoleName", "UserName", "GroupName", "ManagedPolicyName", "InstanceProfileName"} {
			if _, named := asMap(r.Props)[name]; named {
				return "CAPABILITY_NAMED_IAM"
			}
		}
	}
	return need
}

// sameJSON compares two template values.
func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}
