package runbooks

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// agreeWithBurntSushi fails t when decodeFast takes a document that
// BurntSushi/toml would decode differently, refuse, or find unknown keys
// in. It reports whether the fast path took the document.
func agreeWithBurntSushi(t *testing.T, name string, src []byte) bool {
	t.Helper()
	fast, ok := decodeFast(src)
	if !ok {
		return false
	}
	var slow rawDoc
	md, err := toml.Decode(string(src), &slow)
	if err != nil {
		t.Fatalf("%s: go-toml took a document BurntSushi/toml refuses: %v", name, err)
	}
	rep := &reporter{file: name, pos: &positions{src: string(src)}}
	checkUnknownKeys(rep, md)
	if len(rep.diags) != 0 {
		t.Fatalf("%s: the fast path took a document with unknown keys: %v", name, rep.diags)
	}
	// NaN is unequal to itself, so DeepEqual alone would call equal
	// documents different; their printed forms settle it.
	if !reflect.DeepEqual(fast, &slow) && fmt.Sprintf("%#v", fast) != fmt.Sprintf("%#v", &slow) {
		t.Fatalf("%s: the decoders disagree:\n go-toml:     %#v\n BurntSushi: %#v", name, fast, &slow)
	}
	return true
}

// TestFastDecodeAgrees: on every fixture and shipped runbook the fast
// decoder either declines or gives exactly what BurntSushi/toml gives;
// it takes the valid ones, which is the point of it, and declines the
// ones whose shape is wrong.
func TestFastDecodeAgrees(t *testing.T) {
	t.Parallel()
	var files []string
	for _, pattern := range []string{"*.toml", "testdata/valid/*.toml", "testdata/broken/*.toml"} {
		more, _ := filepath.Glob(pattern)
		files = append(files, more...)
	}
	if len(files) == 0 {
		t.Fatal("no runbooks")
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		took := agreeWithBurntSushi(t, file, src)
		if !took && !strings.Contains(file, "broken") {
			t.Errorf("%s: the fast decoder declined a valid runbook", file)
		}
	}
	for name, src := range map[string]string{
		"case":             "format = 1\n[runbook]\nID = \"x\"\n",
		"unknown key":      "format = 1\n[runbook]\nidd = \"x\"\n",
		"array of tables":  "format = 1\n[[steps]]\n[[steps.with]]\na = 1\n",
		"nested header":    "format = 1\n[[steps]]\n[steps.with]\n[[steps.with.a]]\nb = 1\n",
		"local date":       "format = 1\n[vars]\nd = 2024-01-02\n",
		"offset date-time": "format = 1\n[vars]\nd = 2024-01-02T03:04:05Z\n",
		"steps a table":    "format = 1\n[steps]\nid = \"x\"\n",
		"runbook a string": "format = 1\nrunbook = \"x\"\n",
		"syntax":           "format = = 1\n",
	} {
		if agreeWithBurntSushi(t, name, []byte(src)) {
			t.Errorf("%s: the fast decoder took a document it must leave to BurntSushi/toml", name)
		}
	}
	// TOML's corners, through both decoders: taken or not, never
	// different.
	for i, src := range tomlCorners {
		agreeWithBurntSushi(t, fmt.Sprintf("corner %d", i), []byte(src))
	}
	if !agreeWithBurntSushi(t, "inline", []byte("format = 1\nsteps = [{ id = \"a\", require = [{ call = \"x\" }], with = { t = [{ k = 1 }, { k = [{}] }] } }]\nvars = { a = [1, 2.5, true, \"s\", [3]], b = {} }\n")) {
		t.Error("the fast decoder declined inline tables of the format")
	}
}

// tomlCorners are corners of TOML (1.0 and 1.1) the decoders must agree
// on, taken by the fast path or not.
var tomlCorners = []string{
	"format = 0x1\n[vars]\na = 0o17\nb = 0b101\nc = 1_000\nd = -0.0\ne = 1e3\nf = inf\ng = -inf\nh = +12\n",
	"[vars]\nn = nan\n",
	"[vars]\na = \"\\u00e9\\t\\\"\"\nb = 'C:\\x'\nc = \"\"\"\nline\\\n  more\"\"\"\nd = '''\nraw\\n'''\n",
	"[vars]\na = \"\\e\\x41\"\n",
	"[vars]\nt = { a = 1,\n  b = 2, }\n",
	"[vars]\na = []\nb = [[], [1], [\"x\", 2]]\n",
	"steps = []\ncontacts = []\n",
	"[[steps]]\nwith.a = 1\nwith.b.c = \"x\"\nrequire = []\n",
	"[[steps]]\n\"id\" = \"a\"\n'phase' = \"b\"\n",
	"[runbook.regions]\nprimary = \"a\"\n[runbook]\nid = \"x\"\n",
	"[[steps]]\n[steps.with]\na = 1\n[[steps.require]]\n[steps.require.input]\nX = 1\n[[steps]]\n[[steps.require]]\n",
	"[runbook]\nid = \"a\"\n[runbook]\ntitle = \"b\"\n",
	"[vars]\na = 1\na = 2\n",
	"[vars]\nt = 07:32\n",
	"[vars]\nx = 1979-05-27 07:32:00\n",
	"[[ steps ]]\nid = \"a\"\n[[\"steps\"]]\nid = \"b\"\n",
	"runbook.id = \"a\"\nrunbook.regions.primary = \"b\"\n",
	"[steps]\n",
	"vars = 1\n",
	"[vars]\n\"\" = 1\n\"a.b\" = 2\n",
}

// FuzzFastDecode holds the fast decoder to BurntSushi/toml's result on
// arbitrary input.
func FuzzFastDecode(f *testing.F) {
	for _, pattern := range []string{"*.toml", "testdata/valid/*.toml", "testdata/broken/*.toml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	for _, src := range tomlCorners {
		f.Add([]byte(src))
	}
	f.Add([]byte("format = 1\nsteps = [{ id = \"a\", require = [{ call = \"x\" }] }]\nvars = { a = [1, 2.5, true, \"s\", [3]], b = {} }\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		// Parse's own checks come first; the decoders never see what they
		// refuse.
		if checkEncoding("f", src) != nil || checkNesting("f", src) != nil || len(src) > MaxFileSize {
			return
		}
		agreeWithBurntSushi(t, "fuzz.toml", src)
	})
}

// TestFastFieldsMatchTags: the fast decoder's key lists are the raw
// types' toml tags, so that the format's keys are listed in one place
// (the tags) and the fast path cannot drift from it.
func TestFastFieldsMatchTags(t *testing.T) {
	t.Parallel()
	typed := map[string]bool{"runbook.regions": true, "runbook.team": true, "steps.require": true}
	check := func(name string, v any, field func(string) *any) {
		rv := reflect.ValueOf(v).Elem()
		for i := 0; i < rv.NumField(); i++ {
			tag := rv.Type().Field(i).Tag.Get("toml")
			got := field(tag)
			if typed[name+"."+tag] {
				if got != nil {
					t.Errorf("%s.%s is a table of the format, not a value", name, tag)
				}
				continue
			}
			if got == nil || got != rv.Field(i).Addr().Interface().(*any) {
				t.Errorf("%s: key %q does not lead to its field", name, tag)
			}
		}
		if field("bogus") != nil || field(strings.ToUpper(rv.Type().Field(0).Tag.Get("toml"))) != nil {
			t.Errorf("%s: a key the format lacks leads to a field", name)
		}
	}
	regions := &rawRegions{}
	check("runbook.regions", regions, regions.field)
	meta, team, contact, step, req := &rawMeta{}, &rawTeam{}, &rawContact{}, &rawStep{}, &rawRequire{}
	check("runbook", meta, meta.field)
	check("runbook.team", team, team.field)
	check("contacts", contact, contact.field)
	check("steps", step, step.field)
	check("steps.require", req, req.field)
}
