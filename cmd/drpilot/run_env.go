package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// runEnv is where a run's calls go and who makes them: the mode, the AWS
// clients, the in-process sandbox in sandbox mode, the caller's identity
// and the signing key.
type runEnv struct {
	mode     steps.Mode
	clients  *awsclient.Factory
	sandbox  *sandbox.Sandbox
	endpoint string // the sandbox's, in sandbox mode
	server   *http.Server
	// recorder records the sandbox's changes in the run directory, and
	// restored says what a resumed run's sandbox was rebuilt from
	// (sandbox_record.go).
	recorder *sandbox.Recorder
	restored *sandbox.Restored
	// scenario is a new sandbox run's, for run.start (the record's
	// game-day scorecard names its faults).
	scenario *audit.SandboxInfo

	account, callerARN string
	key                ed25519.PrivateKey
	// throwaway is set when the run is signed with a key made for it,
	// which dry-run and sandbox runs allow.
	throwaway bool
}

func (env *runEnv) close() {
	if env.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		env.server.Shutdown(ctx)
	}
	if env.recorder != nil {
		// Records the clock as the run leaves it, where a rebuilt
		// sandbox's clock starts. Failing that, the last moment someone
		// was answered at is recorded already.
		env.recorder.Close()
	}
}

// prepareEnvironment sets up the mode, checks who the caller is against
// the runbook's account, and finds the signing key. Everything that can
// refuse the run does it here, before the audit log exists.
// A resumed run passes its key; a new run passes nil and the key is found
// by the usual lookup.
func prepareEnvironment(ctx context.Context, opts runOptions, rb *runbooks.Runbook, key ed25519.PrivateKey) (*runEnv, error) {
	env := &runEnv{mode: steps.ModeLive}
	var cfg aws.Config
	var err error
	switch {
	case opts.sandbox:
		env.mode = steps.ModeSandbox
		cfg, err = env.startSandbox(ctx, opts, rb)
	default:
		if opts.dryRun {
			env.mode = steps.ModeDryRun
		}
		cfg, err = loadAWSConfig(ctx, opts.profile, rb)
	}
	if err != nil {
		env.close()
		return nil, err
	}
	scale := 1.0
	if env.sandbox != nil {
		scale = env.sandbox.Clock().Scale()
	}
	factory := awsclient.Options{Config: cfg, DryRun: env.mode == steps.ModeDryRun, ReadOnly: steps.ReadOnly, TimeScale: scale}
	if opts.diag != nil && (opts.logFile != "" || !opts.headless) {
		// Under the terminal UI nothing may write to the terminal: the
		// SDK's messages go to the log file, or nowhere.
		factory.Logger = opts.diag.sdkLogger()
	}
	env.clients, err = awsclient.NewFactory(factory)
	if err == nil {
		err = env.identify(ctx, rb, opts.profile)
	}
	switch {
	case err != nil:
	case key != nil:
		env.key = key
	default:
		err = env.findKey(opts, rb)
	}
	if err != nil {
		env.close()
		return nil, err
	}
	return env, nil
}

// loadAWSConfig loads the standard AWS configuration, as the AWS CLI
// does, with the profile given by --profile (else $AWS_PROFILE, else the
// default one).
func loadAWSConfig(ctx context.Context, profile string, rb *runbooks.Runbook) (aws.Config, error) {
	options := []func(*config.LoadOptions) error{config.WithDefaultRegion(rb.Regions.Recovery)}
	if profile != "" {
		options = append(options, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, options...)
	var missing config.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &missing):
		from := "--profile"
		if profile == "" {
			from = "$AWS_PROFILE"
		}
		return cfg, badInput("AWS profile %q (%s) is in none of the files read: %s; check its name with 'aws configure list-profiles', or set AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE to where it is",
			missing.Profile, from, strings.Join(sharedConfigFiles(), ", "))
	case err != nil:
		return cfg, badInput("AWS configuration: %v", err)
	}
	return cfg, nil
}

// sharedConfigFiles are the files the AWS SDK reads profiles from.
func sharedConfigFiles() []string {
	files := make([]string, 0, 2)
	for _, f := range []struct{ env, path string }{
		{"AWS_CONFIG_FILE", config.DefaultSharedConfigFilename()},
		{"AWS_SHARED_CREDENTIALS_FILE", config.DefaultSharedCredentialsFilename()},
	} {
		if v := os.Getenv(f.env); v != "" {
			f.path = v
		}
		files = append(files, f.path)
	}
	return files
}

// sandboxAccessKey is the access key id a --sandbox run signs with: the
// key --sandbox-policy holds to its policy.
const sandboxAccessKey = "AKIDSANDBOX"

// startSandbox serves the runbook's scenario (or, resuming, the sandbox
// rebuilt from the run's recording) on a loopback port and returns a
// configuration that reaches it, independent of the user's AWS profiles: a
// sandbox run must never touch a real account.
func (env *runEnv) startSandbox(ctx context.Context, opts runOptions, rb *runbooks.Runbook) (aws.Config, error) {
	sb := opts.rebuilt
	if sb == nil {
		var err error
		if sb, env.scenario, err = newRunSandbox(opts, rb); err != nil {
			return aws.Config{}, err
		}
	}
	if opts.sandboxPolicy != "" {
		p, err := sandbox.LoadPolicy(opts.sandboxPolicy)
		if err != nil {
			return aws.Config{}, badInput("--sandbox-policy: %v", err)
		}
		sb.SetPolicies(map[string]*sandbox.Policy{sandboxAccessKey: p})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return aws.Config{}, fmt.Errorf("start the sandbox: %w", err)
	}
	env.sandbox, env.restored, env.endpoint = sb, opts.restored, "http://"+ln.Addr().String()
	env.server = sandbox.NewServer(sb, sandbox.DefaultTimeouts)
	go env.server.Serve(ln)
	return config.LoadDefaultConfig(ctx,
		config.WithRegion(rb.Regions.Recovery),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(sandboxAccessKey, "sandbox-secret", "")),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
		config.WithBaseEndpoint(env.endpoint))
}

// newRunSandbox makes a new run's sandbox from the runbook's scenario, or
// --scenario's.
func newRunSandbox(opts runOptions, rb *runbooks.Runbook) (*sandbox.Sandbox, *audit.SandboxInfo, error) {
	path := opts.scenario
	if path == "" {
		path = filepath.Join(filepath.Dir(rb.File), "scenarios", rb.ID+".toml")
		if _, err := os.Stat(path); err != nil {
			return nil, nil, badInput("no sandbox scenario for runbook %s at %s: write one (docs/sandbox.md) or give --scenario", rb.ID, path)
		}
	}
	sc, err := loadScenario(path)
	if err != nil {
		return nil, nil, err
	}
	info := &audit.SandboxInfo{Scenario: path, Faults: []json.RawMessage{}}
	for _, f := range sc.Faults {
		if raw, err := json.Marshal(f); err == nil {
			info.Faults = append(info.Faults, raw)
		}
	}
	scale := 0.0
	if opts.timeScaleSet || sc.TimeScale == 0 {
		scale = opts.timeScale
	}
	sb, err := sandbox.NewFromScenario(sc, scale)
	if err != nil {
		return nil, nil, badInput("%v", err)
	}
	return sb, info, nil
}

// identify asks STS who the caller is and refuses an account other than
// the runbook's: failing over the wrong account is worse than not at all.
func (env *runEnv) identify(ctx context.Context, rb *runbooks.Runbook, profile string) error {
	resp, err := env.clients.Invoke(ctx, "sts", rb.Regions.Recovery, "GetCallerIdentity", nil)
	if err != nil {
		check := "aws sts get-caller-identity"
		if profile != "" {
			check += " --profile " + profile
		}
		return badInput("cannot tell who you are in AWS (sts:GetCallerIdentity): %v; check your credentials with '%s'", err, check)
	}
	env.account, _ = resp.Output["Account"].(string)
	env.callerARN, _ = resp.Output["Arn"].(string)
	if rb.Account != "" && env.account != rb.Account {
		fix := "choose that account's profile with --profile, or other credentials"
		if env.mode == steps.ModeSandbox {
			fix = "the sandbox answers for its scenario's account: set account in the scenario to the runbook's"
		}
		return badInput("runbook %s is for account %s, but your credentials are for account %s (%s): %s", rb.ID, rb.Account, env.account, env.callerARN, fix)
	}
	return nil
}

// findKey loads the signing key. A live run needs one the team trusts:
// its public half is among the keys/*.pub files next to the runbook. A
// dry-run or sandbox run without a key is signed with a throwaway key.
func (env *runEnv) findKey(opts runOptions, rb *runbooks.Runbook) error {
	path, source, err := audit.KeyPath(opts.key)
	if err != nil {
		return badInput("%v", err)
	}
	key, err := audit.ReadKey(path)
	switch {
	case err == nil:
		env.key = key
	case env.mode != steps.ModeLive && opts.key == "" && errors.Is(err, os.ErrNotExist):
		env.throwaway = true
		env.key, err = audit.GenerateKey()
		return err
	case env.mode == steps.ModeLive:
		return errNoKey(path, source, err)
	default:
		return badInput("signing key %s (%s): %v", path, source, err)
	}
	if env.mode == steps.ModeLive {
		return checkTrusted(env.key, filepath.Join(filepath.Dir(rb.File), "keys"), path)
	}
	return nil
}

// checkTrusted refuses a key whose public half is not in dir/*.pub.
func checkTrusted(key ed25519.PrivateKey, dir, keyPath string) error {
	pub := key.Public().(ed25519.PublicKey)
	files, _ := filepath.Glob(filepath.Join(dir, "*.pub"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if trusted, err := audit.ParsePublicKey(data); err == nil && trusted.Equal(pub) {
			return nil
		}
	}
	return badInput("the signing key %s (%s) is not trusted for these runbooks: its public key is not among %s/*.pub; add it ('drpilot pubkey > %s/<you>.pub') after your team reviews it",
		keyPath, audit.Fingerprint(pub), dir, dir)
}
