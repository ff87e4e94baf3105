package audit

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// FuzzVerify feeds arbitrary bytes to the verifier as events.jsonl, next
// to the pub.pem of a real sealed run (and, second argument, as its
// checkpoints.jsonl, the seal on its last line): it never panics, and it never says VALID
// for a log its key did not sign, which is any log but the original.
func FuzzVerify(f *testing.F) {
	key := testKey(f)
	src := f.TempDir()
	writeRun(f, src, key, 70, true)
	events, _ := os.ReadFile(filepath.Join(src, EventsFile))
	pub, _ := os.ReadFile(filepath.Join(src, PubFile))
	seal, _ := os.ReadFile(filepath.Join(src, CheckpointsFile))
	f.Add(events, seal)
	f.Add(events[:len(events)/2], seal)
	f.Add(bytes.ReplaceAll(events, []byte("\n"), []byte("\r\n")), seal)
	f.Add(events, seal[:len(seal)-9])
	f.Add([]byte("{}\n"), []byte(`{"n":1,"note":"drpilot/x\n1\nAAAA\nchain 00\n\n— drpilot AAAA\n"}`+"\n"))
	f.Add([]byte(""), []byte(""))
	trusted := key.Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, log, sealNote []byte) {
		// In memory: a file system path differs per run, and the fuzzer
		// would take every input for new coverage.
		fsys := fstest.MapFS{
			EventsFile:      {Data: log},
			PubFile:         {Data: pub},
			CheckpointsFile: {Data: sealNote},
		}
		rep, err := VerifyFS(fsys, trusted)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		original := bytes.Equal(log, events) && bytes.Equal(sealNote, seal)
		if rep.Verdict == Valid && !original {
			t.Fatalf("VALID for a log that was not signed:\n%q", log)
		}
		if original && rep.Verdict != Valid {
			t.Fatalf("the original log is %s: %s", rep.Verdict, rep.Reason)
		}
	})
}
