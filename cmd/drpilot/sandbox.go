package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/drpilot/drpilot/sandbox"
	"github.com/spf13/cobra"
)

type sandboxOptions struct {
	addr        string
	scenario    string
	timeScale   float64
	scaleSet    bool // --time-scale was given: it overrides the scenario's
	account     string
	allowRemote bool
	// policies are --policy KEYID=FILE: the IAM policy each access key id
	// is held to.
	policies []string
	stdout   io.Writer
}

func newSandboxCommand() *cobra.Command {
	opts := sandboxOptions{}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve the AWS-compatible simulator on loopback",
		Long: `sandbox serves drpilot's AWS-compatible simulator on loopback until interrupted
(SIGINT or SIGTERM). Any AWS client reaches it with --endpoint-url or
AWS_ENDPOINT_URL, any credentials, and the Region it wants: the service and
Region come from each request's SigV4 signature. It starts empty, or as a
scenario file sets it up (runbooks/scenarios/ holds one per shipped runbook);
create more resources through the services' own APIs (CreateDBInstance, ...).

--time-scale runs simulated time faster than real time: at 60, a 20-minute RDS
restore takes 20 real seconds. The journal of requests is at /_sandbox/journal,
the resources at /_sandbox/state, and faults (Region outage, throttling,
latency, a resource stuck in a state) are injected with POST /_sandbox/faults.

--policy KEYID=FILE holds every request signed with access key id KEYID to the
IAM policy in FILE, as IAM would (Allow, Deny, actions, resources, conditions):
a denied request gets AccessDenied in its service's own shape and is listed at
/_sandbox/denials. Other keys stay administrators. See docs/sandbox.md.`,
		Example: `  drpilot sandbox --time-scale 60
  drpilot sandbox --scenario runbooks/scenarios/ecommerce-pilot-light.toml
  drpilot sandbox --policy AKIDRUNBOOK=policy.json
  export AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_REGION=us-west-2
  aws rds describe-db-instances`,
		Args: argsExactly(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.stdout = cmd.OutOrStdout()
			opts.scaleSet = cmd.Flags().Changed("time-scale")
			return runSandbox(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.scenario, "scenario", "", "a scenario file: the account, time scale, resources and faults to start with")
	cmd.Flags().StringVar(&opts.addr, "addr", "127.0.0.1:4566", "the loopback address and port to serve on (port 0 picks a free one)")
	cmd.Flags().Float64Var(&opts.timeScale, "time-scale", 1, "simulated seconds per real second")
	cmd.Flags().StringVar(&opts.account, "account", sandbox.DefaultAccount, "the simulated AWS account id")
	cmd.Flags().BoolVar(&opts.allowRemote, "allow-remote", false, "serve on a non-loopback address (the sandbox has no authentication)")
	cmd.Flags().StringArrayVar(&opts.policies, "policy", nil, "evaluate the requests signed with access key id KEYID against the IAM policy in FILE, as KEYID=FILE (repeatable)")
	return cmd
}

func runSandbox(ctx context.Context, opts sandboxOptions) error {
	if opts.timeScale <= 0 || opts.timeScale > 1e6 {
		return badInput("--time-scale must be above 0 and at most 1000000, not %g", opts.timeScale)
	}
	if err := checkLoopback(opts.addr, opts.allowRemote); err != nil {
		return err
	}
	policies, err := loadPolicies(opts.policies)
	if err != nil {
		return err
	}
	sb, err := newSandbox(opts)
	if err != nil {
		return err
	}
	sb.SetPolicies(policies)
	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return badInput("cannot serve on %s: %v", opts.addr, err)
	}
	srv := sandbox.NewServer(sb, sandbox.DefaultTimeouts)
	endpoint := "http://" + ln.Addr().String()
	fmt.Fprintf(opts.stdout, "drpilot sandbox serving %s (account %s, time scale %g)\n", endpoint, sb.Account(), sb.Clock().Scale())
	for _, f := range opts.policies {
		key, file, _ := strings.Cut(f, "=")
		fmt.Fprintf(opts.stdout, "requests signed with access key id %s are held to the IAM policy %s\n", key, file)
	}
	fmt.Fprintf(opts.stdout, "export AWS_ENDPOINT_URL=%s\n", endpoint)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errs := make(chan error, 1)
	go func() { errs <- srv.Serve(ln) }()
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(opts.stdout, "drpilot sandbox stopped")
	return nil
}

// newSandbox makes the sandbox: empty, or as the scenario sets it up.
func newSandbox(opts sandboxOptions) (*sandbox.Sandbox, error) {
	if opts.scenario == "" {
		return sandbox.New(sandbox.Options{Account: opts.account, TimeScale: opts.timeScale}), nil
	}
	sc, err := loadScenario(opts.scenario)
	if err != nil {
		return nil, err
	}
	scale := 0.0
	if opts.scaleSet {
		scale = opts.timeScale
	}
	sb, err := sandbox.NewFromScenario(sc, scale)
	if err != nil {
		return nil, badInput("%v", err)
	}
	return sb, nil
}

// loadPolicies reads --policy KEYID=FILE flags. A key given twice is
// refused: which of its policies held would depend on the order of flags.
func loadPolicies(flags []string) (map[string]*sandbox.Policy, error) {
	policies := map[string]*sandbox.Policy{}
	for _, f := range flags {
		key, file, ok := strings.Cut(f, "=")
		if !ok || key == "" || file == "" {
			return nil, badInput("--policy %q: write KEYID=FILE, e.g. --policy AKIDRUNBOOK=policy.json", f)
		}
		if _, dup := policies[key]; dup {
			return nil, badInput("--policy: access key id %s is given twice; give one policy per key", key)
		}
		p, err := sandbox.LoadPolicy(file)
		if err != nil {
			return nil, badInput("--policy %s: %v", key, err)
		}
		policies[key] = p
	}
	return policies, nil
}

// checkLoopback refuses an address that is not loopback, unless allowed:
// the sandbox takes any credentials, so it must not face a network.
func checkLoopback(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return badInput("--addr %q: %v (write host:port, e.g. 127.0.0.1:4566)", addr, err)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return badInput("--addr %s is not a loopback address; the sandbox accepts any credentials, so it serves 127.0.0.1 only unless you pass --allow-remote", addr)
}
