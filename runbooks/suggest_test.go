package runbooks

import "testing"

func TestSuggest(t *testing.T) {
	t.Parallel()
	keys := []string{"id", "title", "description", "owner", "account", "strategy", "rto", "rpo", "regions", "doc", "type"}
	for in, want := range map[string]string{
		"titel":       "title", // transposition
		"titl":        "title", // deletion
		"tittle":      "title", // insertion
		"dco":         "doc",
		"tpye":        "type",
		"acount":      "account",
		"descripton":  "description",
		"zzz":         "",
		"regionsxxxx": "",
	} {
		if got := suggest(in, keys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
	params := []string{"db_instance_identifier", "backup_retention_period"}
	if got := suggest("db_instanse", params); got != "db_instance_identifier" {
		t.Errorf("a misspelt prefix: got %q", got)
	}
	if d := editDistance("ca", "abc"); d != 3 {
		t.Errorf("editDistance(ca, abc) = %d, want 3 (optimal string alignment)", d)
	}
}
