package runbooks

import (
	"slices"
	"testing"
)

// TestQueryPath: only a query that is a path is followed, since any other
// may observe something where its path selects nothing.
func TestQueryPath(t *testing.T) {
	t.Parallel()
	for q, want := range map[string][]string{
		"Table.TableStatus":                     {"Table", "TableStatus"},
		"DBInstances[0].Endpoint.Address":       {"DBInstances", QueryElem, "Endpoint", "Address"},
		"Items[*].pk.S":                         {"Items", QueryElem, "pk", "S"},
		"Targets[].Target.Id":                   {"Targets", QueryFlatten, "Target", "Id"},
		"A[?State == 'ok' && B[0] == `1`].Name": {"A", QueryElem, "Name"},
		`"quoted name".x`:                       {"quoted name", "x"},
		"Tags.* ":                               {"Tags"},
		"a[-1][1:2]. b":                         {"a", QueryElem, QueryElem, "b"},
		"length(Items)":                         nil,
		"Items[0] | Name":                       nil,
		"A || B":                                nil,
		"A == 'x'":                              nil,
		"A.{x: B}":                              nil,
		"[0]":                                   nil,
		"A[0":                                   nil,
	} {
		if got := queryPath(q); !slices.Equal(got, want) {
			t.Errorf("queryPath(%q) = %q, want %q", q, got, want)
		}
	}
}
