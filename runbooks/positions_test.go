package runbooks

import "testing"

func TestIndexPositions(t *testing.T) {
	t.Parallel()
	src := `format = 1 # comment with = and [brackets]

[runbook]
id = "x"
[runbook.regions]
primary = "us-east-1"

[[steps]]
id = "a"
doc = """multi
line = "not a key"
[[steps]] not a header
"""
after = [
  "b", # comment
  'c',
]
  [steps.with]
  "quoted key" = 1
  nested = { inner = { deep = [1, {x = 2}] } }

[[steps]]
id = "b"
[[steps.require]]
call = "rds:DescribeDBInstances"
input = {DBInstanceIdentifier = "db"}
[[steps.require]]
when.dotted = "2"
`
	idx := indexPositions(src)
	tests := []struct {
		path      string
		key, val  Pos
		valueOnly bool
	}{
		{path: "format", key: Pos{1, 1}, val: Pos{1, 10}},
		{path: "runbook", key: Pos{3, 1}},
		{path: "runbook.id", key: Pos{4, 1}, val: Pos{4, 6}},
		{path: "runbook.regions.primary", key: Pos{6, 1}, val: Pos{6, 11}},
		{path: "steps", key: Pos{8, 1}},
		{path: "steps[0]", key: Pos{8, 1}},
		{path: "steps[0].id", key: Pos{9, 1}, val: Pos{9, 6}},
		{path: "steps[0].after", key: Pos{14, 1}, val: Pos{14, 9}},
		{path: "steps[0].after[1]", key: Pos{16, 3}, val: Pos{16, 3}},
		{path: "steps[0].with", key: Pos{18, 3}},
		{path: `steps[0].with."quoted key"`, key: Pos{19, 3}, val: Pos{19, 18}},
		{path: "steps[0].with.nested.inner.deep[1].x", key: Pos{20, 36}, val: Pos{20, 40}},
		{path: "steps[1]", key: Pos{22, 1}},
		{path: "steps[1].require[0].input.DBInstanceIdentifier", key: Pos{26, 10}, val: Pos{26, 33}},
		{path: "steps[1].require[1]", key: Pos{27, 1}},
		{path: "steps[1].require[1].when.dotted", key: Pos{28, 6}, val: Pos{28, 15}},
		// Unknown paths fall back to the nearest enclosing key.
		{path: "steps[1].require[1].missing", key: Pos{27, 1}},
	}
	for _, tt := range tests {
		if got := idx.key(tt.path); got != tt.key {
			t.Errorf("key(%s) = %v, want %v", tt.path, got, tt.key)
		}
		if tt.val != (Pos{}) {
			if got := idx.value(tt.path); got != tt.val {
				t.Errorf("value(%s) = %v, want %v", tt.path, got, tt.val)
			}
		}
	}
	for n, want := range []string{"steps[0].id", "steps[1].id"} {
		if got, ok := idx.nth("steps.id", n); !ok || got != want {
			t.Errorf("nth(steps.id, %d) = %q, want %q", n, got, want)
		}
	}
	if p, ok := idx.nth("steps.id", 2); ok {
		t.Errorf("a third steps.id returned %s; there are two", p)
	}
}

func TestParentPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a.b[2].c":   "a.b[2]",
		"a.b[2]":     "a.b",
		"a":          "",
		`a."x.y"`:    "a",
		`a."x.y".z`:  `a."x.y"`,
		"steps[10]":  "steps",
		"":           "",
		`"a\"b".c.d`: `"a\"b".c`,
	} {
		if got := parentPath(in); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", in, got, want)
		}
	}
}
