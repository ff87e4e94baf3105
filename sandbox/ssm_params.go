package sandbox

import (
	"strings"
)

// Reading many parameters at once: by name (GetParameters), under a
// path (GetParametersByPath), and their metadata without values
// (DescribeParameters).

// ssmGetParameters reads up to 10 parameters; the names not found are
// listed as InvalidParameters rather than failing the call.
func ssmGetParameters(c *call) (any, error) {
	names := list(c.input, "Names")
	if len(names) == 0 || len(names) > 10 {
		return nil, errorf("ValidationException", "Names must list 1 to 10 parameter names")
	}
	params, invalid := []any{}, []any{}
	for _, n := range names {
		ref, _ := n.(string)
		v, err := c.ssmParameterValue(ref)
		switch {
		case err == nil:
			params = append(params, v)
		case err.Code == "ParameterNotFound" || err.Code == "ParameterVersionNotFound":
			invalid = append(invalid, ref)
		default:
			return nil, err
		}
	}
	return map[string]any{"Parameters": params, "InvalidParameters": invalid}, nil
}

// underPath reports whether a parameter's name is under path: directly,
// or at any depth when recursive.
func underPath(name, path string, recursive bool) bool {
	prefix := strings.TrimSuffix(path, "/") + "/"
	rest, ok := strings.CutPrefix(name, prefix)
	return ok && rest != "" && (recursive || !strings.Contains(rest, "/"))
}

// ssmGetParametersByPath reads the parameters under a hierarchy path, in
// name order, MaxResults (1 to 10) at a time.
func ssmGetParametersByPath(c *call) (any, error) {
	path, err := required(c.input, "Path", "ValidationException")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(path, "/") {
		return nil, errorf("ValidationException", "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".")
	}
	recursive, _ := boolean(c.input, "Recursive")
	r := c.ssm()
	items := []any{}
	for _, name := range sortedKeys(r.params) {
		if underPath(name, path, recursive) {
			v, aerr := c.ssmParameterValue(name)
			if aerr != nil {
				return nil, aerr
			}
			items = append(items, v)
		}
	}
	return ssmPage(c, "Parameters", items, 10)
}

// ssmPage answers one page with SSM's MaxResults and NextToken.
func ssmPage(c *call, key string, items []any, max int64) (any, error) {
	return listPage(key, "NextToken", c.input, "MaxResults", "NextToken", items, pageLimits{def: max, min: 1, max: max, validation: "ValidationException", code: "ValidationException"})
}

// ssmFilterMatch applies one ParameterFilters entry (Key Name, Path,
// Type, Tier, DataType or KeyId; Option Equals, BeginsWith, Recursive or
// OneLevel) to a parameter.
func ssmFilterMatch(p *ssmParameter, f map[string]any) (bool, *awsError) {
	key, option := str(f, "Key"), str(f, "Option")
	var values []string
	for _, v := range list(f, "Values") {
		if s, ok := v.(string); ok {
			values = append(values, s)
		}
	}
	have := map[string]string{"Name": p.Name, "Type": p.latest().Type, "Tier": p.Tier, "DataType": p.DataType, "KeyId": p.KeyID}
	if key == "Path" {
		for _, v := range values {
			if underPath(p.Name, v, option == "Recursive") {
				return true, nil
			}
		}
		return false, nil
	}
	field, ok := have[key]
	if !ok {
		return false, errorf("InvalidFilterKey", "The filter key %q is not one the sandbox applies: Name, Path, Type, Tier, DataType, KeyId", key)
	}
	for _, v := range values {
		if option == "BeginsWith" && strings.HasPrefix(field, v) || option != "BeginsWith" && field == v {
			return true, nil
		}
	}
	return false, nil
}

// ssmDescribeParameters lists parameters' metadata, without values, in
// name order, MaxResults (1 to 50) at a time.
func ssmDescribeParameters(c *call) (any, error) {
	r := c.ssm()
	filters := list(c.input, "ParameterFilters")
	items := []any{}
	for _, name := range sortedKeys(r.params) {
		p := r.params[name]
		keep := true
		for _, f := range filters {
			m, _ := f.(map[string]any)
			ok, err := ssmFilterMatch(p, m)
			if err != nil {
				return nil, err
			}
			keep = keep && ok
		}
		if !keep {
			continue
		}
		v := p.latest()
		meta := map[string]any{"Name": p.Name, "ARN": ssmParamARN(c, p.Name), "Type": v.Type, "Version": v.Version,
			"LastModifiedDate": v.Modified, "DataType": p.DataType, "Tier": p.Tier, "Policies": []any{},
			"LastModifiedUser": c.callerARN()}
		if p.Description != "" {
			meta["Description"] = p.Description
		}
		if v.Type == "SecureString" {
			meta["KeyId"] = p.KeyID
		}
		items = append(items, meta)
	}
	return ssmPage(c, "Parameters", items, 50)
}
