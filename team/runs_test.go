package team

import (
	"strings"
	"testing"

	"github.com/drpilot/drpilot/audit"
)

// TestRunPrefixesFindsEveryCopy: the copies of runs of two runbooks are
// found under the bucket's prefix, a runbook's, and a run's own; the
// other objects under them (pub.pem, checkpoints, stray files) name no
// run of their own.
func TestRunPrefixesFindsEveryCopy(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t)
		s := b.store(t, "us-west-2")
		if _, err := s.Init(ctx); err != nil {
			t.Fatal(err)
		}
		priv, _ := audit.GenerateKey()
		for _, p := range []string{LogPrefix("store", "store-1"), LogPrefix("store", "store-2"), LogPrefix("shop", "shop-1")} {
			w, dir := newLog(t, priv, 2)
			w.Seal("drpilot", map[string]string{"outcome": "succeeded"})
			u, err := s.NewUploader(ctx, dir, p)
			if err != nil {
				t.Fatal(err)
			}
			if err := u.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.put(ctx, "drpilot/store/notes/events.txt", []byte("not a part")); err != nil {
			t.Fatal(err)
		}
		for prefix, want := range map[string]string{
			"drpilot/":               "drpilot/shop/shop-1/ drpilot/store/store-1/ drpilot/store/store-2/",
			"drpilot/store/":         "drpilot/store/store-1/ drpilot/store/store-2/",
			"drpilot/store/store-2/": "drpilot/store/store-2/",
			"drpilot/nothing/":       "",
		} {
			runs, err := s.RunPrefixes(ctx, prefix)
			if err != nil || strings.Join(runs, " ") != want {
				t.Errorf("runs under %s: %v %v, want %s", prefix, runs, err, want)
			}
		}
	})
}

func TestParseBucketURL(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]string{
		"s3://acme":                  "acme drpilot/",
		"s3://acme/":                 "acme drpilot/",
		"s3://acme/drpilot/store":    "acme drpilot/store/",
		"s3://acme/drpilot/store/r/": "acme drpilot/store/r/",
		"acme":                       "error",
		"s3:///drpilot":              "error",
	} {
		bucket, prefix, err := ParseBucketURL(url)
		got := bucket + " " + prefix
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("%s: %q (%v), want %q", url, got, err, want)
		}
	}
}
