package main

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// A --sandbox run records its in-process sandbox in RUNDIR/sandbox
// (docs/sandbox.md, "Recording and rebuilding"): the simulated AWS ends
// with the process, and the recording is what lets drpilot resume rebuild
// it as the run left it and carry the run on, as it carries on a live one.

// sandboxRecordingDir is the recording's directory in a run directory.
const sandboxRecordingDir = "sandbox"

// markRunStarted names the recording's mark of the moment the run started
// on the sandbox's clock.
const markRunStarted = "run.started"

// recordingOptions say how a run's recording keeps its secrets: the
// records that carry one (a SecureString's value, a text the log redacts)
// are sealed under a key derived from the run's signing key and its id,
// which resume has anyway and the run directory does not give away
// (unless it holds the run's throwaway key: docs/sandbox.md).
func recordingOptions(key ed25519.PrivateKey, runID string, log *audit.Writer) (sandbox.RecordOptions, error) {
	sealing, err := audit.DeriveKey(key, "drpilot sandbox recording v1\x00"+runID)
	if err != nil {
		return sandbox.RecordOptions{}, err
	}
	return sandbox.RecordOptions{Key: sealing, HoldsSecret: log.HoldsSecret}, nil
}

// recordSandbox starts recording a new sandbox run's sandbox in its run
// directory, before the run changes anything.
func (env *runEnv) recordSandbox(runDir, runID string, log *audit.Writer) error {
	if env.sandbox == nil {
		return nil
	}
	opts, err := recordingOptions(env.key, runID, log)
	if err != nil {
		return fmt.Errorf("record the sandbox: %w", err)
	}
	rec, err := env.sandbox.StartRecording(filepath.Join(runDir, sandboxRecordingDir), opts)
	if err != nil {
		return fmt.Errorf("%w; the run cannot start without it, since it could not be resumed", err)
	}
	env.recorder = rec
	return nil
}

// sandboxStart is when the run started on the sandbox's clock, which
// ${run.started_at} and the RTO count from: now for a new run, marked in
// the recording, and that mark for a resumed one, so that the run keeps
// one start however often it is resumed.
func (env *runEnv) sandboxStart() (time.Time, error) {
	if rs := env.restored; rs != nil {
		if t, ok := rs.Mark(markRunStarted); ok {
			return t, nil
		}
		// Killed between the recording's start and the mark: the run
		// began, at the latest, when the recording did.
		return rs.Recording.Header.Start, nil
	}
	now := env.sandbox.Clock().Now()
	if env.recorder != nil {
		if err := env.recorder.Mark(markRunStarted, now); err != nil {
			return now, fmt.Errorf("record the run's start in the sandbox's recording: %w", err)
		}
	}
	return now, nil
}

// abortHint is what to do with a paused run that cannot be resumed.
func abortHint(dir string) string {
	return fmt.Sprintf("end the run for good with 'drpilot abort %s --reason \"...\"', and start a new one", shellWord(dir))
}

// rebuildSandbox rebuilds a sandbox run's sandbox from its recording, for
// resume, opening its sealed records with opts' key. It refuses, with what
// to do, a recording that is missing, corrupt, sealed with another key,
// made with another scenario than its copy, or without a change that the
// audit log shows the sandbox answered: a sandbox rebuilt from it would
// not be the one the run changed.
func rebuildSandbox(dir string, events []audit.Event, opts sandbox.RecordOptions) (*sandbox.Sandbox, *sandbox.Restored, error) {
	recording, err := sandbox.ReadRecording(filepath.Join(dir, sandboxRecordingDir))
	if err == nil {
		err = recording.Unseal(opts.Key)
	}
	if err != nil {
		return nil, nil, badInput("cannot resume %s: it was a --sandbox run, and its simulated AWS is rebuilt from its recording: %v; if the recording can be restored as it was, restore it; else %s",
			dir, err, abortHint(dir))
	}
	sb, restored, err := recording.Rebuild()
	if err != nil {
		return nil, nil, badInput("cannot resume %s: the sandbox cannot be rebuilt from its recording: %v; %s", dir, err, abortHint(dir))
	}
	if err := checkRecordingCovers(sb, restored, events); err != nil {
		return nil, nil, badInput("cannot resume %s: %v; %s", dir, err, abortHint(dir))
	}
	return sb, restored, nil
}

// resumeSandbox rebuilds a --sandbox run's sandbox into opts, for resume,
// and returns the options its recording is carried on with: the same key,
// derived again from the run's, so that one key opens all its records.
func resumeSandbox(dir string, key ed25519.PrivateKey, r *audit.Reopened, opts *runOptions) (sandbox.RecordOptions, error) {
	recording, err := recordingOptions(key, r.Writer.Run(), r.Writer)
	if err != nil {
		return recording, fmt.Errorf("cannot resume %s: %w", dir, err)
	}
	if opts.rebuilt, opts.restored, err = rebuildSandbox(dir, r.Events, recording); err != nil {
		return recording, err
	}
	opts.sandbox = true
	return recording, nil
}

// sandboxService is the name the sandbox serves and records a service
// under, as drpilot's log names it: its SigV4 signing name.
func sandboxService(service string) string {
	if s, ok := awsclient.Lookup(service); ok {
		return s.Signing()
	}
	return service
}

// checkRecordingCovers finds, in the audit log, every change the sandbox
// answered with success, and refuses a recording that lacks one.
func checkRecordingCovers(sb *sandbox.Sandbox, restored *sandbox.Restored, events []audit.Event) error {
	for _, ev := range events {
		if ev.Type != audit.TypeAWSResponse {
			continue
		}
		var resp struct {
			Operation string `json:"operation"`
			RequestID string `json:"request_id"`
			Error     string `json:"error"`
		}
		if json.Unmarshal(ev.Data, &resp) != nil || resp.RequestID == "" || resp.Error != "" {
			continue
		}
		service, op, _ := strings.Cut(resp.Operation, ":")
		if sb.Mutates(sandboxService(service), op) && !restored.Has(resp.RequestID) {
			return fmt.Errorf("the audit log shows %s answered with request id %s (seq %d), and the sandbox's recording (%s) lacks it: the recording is incomplete, and a sandbox rebuilt from it would not be the one the run changed",
				resp.Operation, resp.RequestID, ev.Seq, filepath.Join(restored.Recording.Dir, sandbox.RecordingFile))
		}
	}
	return nil
}

// rebuiltLine tells a resumed sandbox run what its sandbox was rebuilt
// from; "" for other runs.
func rebuiltLine(env *runEnv) string {
	rs := env.restored
	if rs == nil {
		return ""
	}
	return fmt.Sprintf("sandbox rebuilt from its recording (%s): %d changes and %d faults replayed; its clock carries on from %s",
		rs.Recording.Dir, rs.Requests+rs.Deliveries, rs.Faults, rs.Clock.UTC().Format(time.RFC3339))
}

// sandboxEndLine says, when a sandbox run stops resumably, whether resume
// can rebuild its sandbox; "" for other runs.
func sandboxEndLine(env *runEnv) string {
	if env.recorder == nil {
		return ""
	}
	if err := env.recorder.Err(); err != nil {
		return fmt.Sprintf("  the sandbox's recording failed (%v): resume will refuse to rebuild it without what it lacks", err)
	}
	return "  the sandbox's changes are recorded in " + filepath.Dir(env.recorder.Path()) + ": resume rebuilds it as it is now"
}

// sandboxResumedData is what run.resumed says of a rebuilt sandbox.
func sandboxResumedData(env *runEnv) map[string]any {
	rs := env.restored
	if rs == nil {
		return nil
	}
	return map[string]any{"recording": filepath.Join(rs.Recording.Dir, sandbox.RecordingFile), "requests": rs.Requests,
		"faults": rs.Faults, "deliveries": rs.Deliveries, "clock_advances": rs.Advances, "clock": rs.Clock.UTC().Format(time.RFC3339Nano)}
}
