package awsclient

import (
	"fmt"
	"testing"

	"github.com/aws/smithy-go/logging"
)

type recordingLogger []string

func (r *recordingLogger) Logf(c logging.Classification, format string, v ...any) {
	*r = append(*r, string(c)+" "+fmt.Sprintf(format, v...))
}

// TestSDKDebugMessagesAreDropped: the SDK's debug messages never reach
// the engineer's terminal; its warnings do.
func TestSDKDebugMessagesAreDropped(t *testing.T) {
	var got recordingLogger
	f, err := NewFactory(Options{Logger: &got})
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.config("s3", "us-west-2")
	cfg.Logger.Logf(logging.Debug, "Response has no supported checksum. Not validating response payload.")
	cfg.Logger.Logf(logging.Warn, "retrying %s", "GetObject")
	if len(got) != 1 || got[0] != "WARN retrying GetObject" {
		t.Fatalf("logged: %q", got)
	}
}
