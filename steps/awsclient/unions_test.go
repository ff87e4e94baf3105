package awsclient

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// reachableInterfaces lists the interface types reachable from t through
// pointers, structures, slices and maps.
func reachableInterfaces(t reflect.Type, seen map[reflect.Type]bool, found map[reflect.Type][]string, via string) {
	if seen[t] {
		return
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		reachableInterfaces(t.Elem(), seen, found, via)
	case reflect.Interface:
		if t.NumMethod() > 0 {
			found[t] = append(found[t], via)
		}
		for _, m := range unions()[t] {
			reachableInterfaces(m, seen, found, via)
		}
	case reflect.Struct:
		for _, f := range fields(t) {
			reachableInterfaces(t.Field(f.index).Type, seen, found, via)
		}
	}
}

// TestUnionTableCoversTheRegistry fails when unions_gen.go is stale: an
// operation of a registered service takes or returns a union that the
// table does not list. Regenerate the table with
//
//	go generate ./steps/awsclient
func TestUnionTableCoversTheRegistry(t *testing.T) {
	t.Parallel()
	found := map[reflect.Type][]string{}
	for _, s := range Registry() {
		for name, m := range operationIndex()[s.Prefix] {
			seen := map[reflect.Type]bool{}
			reachableInterfaces(m.Type.In(2), seen, found, s.Prefix+":"+name)
			reachableInterfaces(m.Type.Out(0), seen, found, s.Prefix+":"+name)
		}
	}
	for iface, ops := range found {
		if notUnion(iface) {
			continue
		}
		members, ok := unions()[iface]
		if !ok || len(members) == 0 {
			slices.Sort(ops)
			t.Errorf("union %s (used by %s) is not in unions_gen.go: run go generate ./steps/awsclient", iface, ops[0])
		}
		for name, m := range members {
			if !reflect.PointerTo(m).Implements(iface) || m.Name() != iface.Name()+"Member"+name {
				t.Errorf("unions_gen.go lists %s as member %s of %s", m, name, iface)
			}
		}
	}
}

// notUnion reports the interfaces of the SDK that are not unions:
// streaming bodies (io) and documents (free-form JSON, which CheckInput
// and Invoke refuse as types drpilot cannot send).
func notUnion(t reflect.Type) bool {
	return t.PkgPath() == "io" || t.Name() == "Interface" && strings.HasSuffix(t.PkgPath(), "/document")
}

// FuzzCheckInput: no input, however odd, makes CheckInput or Invoke's
// conversion panic, and they agree.
func FuzzCheckInput(f *testing.F) {
	f.Add(uint16(0), []byte(`{"Item": {"pk": {"S": "x"}, "n": {"M": {"a": {"L": [{"N": "1"}, {"NULL": true}]}}}}}`))
	f.Add(uint16(1), []byte(`{"Filters": [{"Name": "x", "Values": ["a", 1, null]}], "MaxResults": 5.5}`))
	f.Add(uint16(2), []byte(`{"StartTime": "2026-01-01T00:00:00Z", "EndTime": 1e300, "Dimensions": {"x": []}}`))
	type call struct{ service, op string }
	var calls []call
	for _, s := range Services() {
		for _, op := range Operations(s) {
			calls = append(calls, call{s, op})
		}
	}
	pinned := []call{{"dynamodb", "PutItem"}, {"ec2", "DescribeInstances"}, {"cloudwatch", "GetMetricStatistics"}}
	f.Fuzz(func(t *testing.T, which uint16, raw []byte) {
		var input map[string]any
		if json.Unmarshal(raw, &input) != nil {
			return
		}
		c := calls[int(which)%len(calls)]
		if int(which) < len(pinned) {
			c = pinned[which]
		}
		problems := CheckInput(c.service, c.op, input)
		method := operationIndex()[c.service][c.op]
		_, err := typedInput(method.Type.In(2).Elem(), input)
		refused := 0
		for _, p := range problems {
			if !p.Warning {
				refused++
			}
		}
		if (err != nil) != (refused > 0) {
			t.Errorf("%s:%s %s: Invoke says %v, check %v", c.service, c.op, raw, err, problems)
		}
	})
}
