package steps

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/drpilot/drpilot/runbooks"
)

// http.probe: what users see, which no AWS API reports.

// maxProbeBody bounds how much of a response body a probe reads and
// searches: a health page is small, and a huge page must not exhaust
// memory.
const maxProbeBody = 1 << 20

// probeAnswer is what one GET saw.
type probeAnswer struct {
	status int
	body   string
	err    error
}

// runHTTPProbe sends GET requests until one answers with the expected
// status and body, attempts times at most, interval apart (a pause
// scaled like every other in sandbox mode). In sandbox mode the URL is
// rewritten to the sandbox's simulated internet; both addresses are in
// the notes and the response. GET is safe, so dry-run probes too, once:
// what it probes for usually depends on changes dry-run does not make.
func runHTTPProbe(ctx context.Context, s *StepRun) (map[string]any, error) {
	rawURL := s.String("url")
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("url %q is not an http or https URL such as https://shop.example.com/healthz", rawURL)
	}
	requested := s.rewriteURL(rawURL)
	expect, _ := s.Int("expect_status")
	attempts, _ := s.Int("attempts")
	interval, err := s.Duration("interval")
	if err != nil {
		return nil, err
	}
	resp := map[string]any{"URL": rawURL}
	if requested != rawURL {
		resp["RequestedURL"] = requested
		s.Note("sandbox: %s is requested at %s, the sandbox's simulated internet", rawURL, requested)
	}
	start := s.exec.now()
	for n := int64(1); ; n++ {
		ans := s.probeOnce(ctx, requested)
		ok, why := ans.judge(int(expect), s.String("body_contains"))
		state := fmt.Sprintf("attempt %d of %d: %s", n, max(attempts, 1), why)
		s.lastState = state
		s.exec.emit(Event{Type: EventWaitProgress, Step: s.ID(), Message: state,
			Wait: &WaitProgress{Operation: "GET " + rawURL, State: state, Polls: int(n),
				Elapsed: s.exec.now().Sub(start), Expect: s.plan.Expect.Duration}})
		resp["StatusCode"], resp["Attempts"] = ans.status, n
		switch {
		case ok:
			return resp, nil
		case s.DryRun():
			s.Note("dry-run: observed %s; a live run would keep probing, up to %d attempts %s apart",
				why, attempts, runbooks.FormatDuration(interval))
			return resp, nil
		case n >= attempts:
			return nil, fmt.Errorf("GET %s did not answer %d%s in %d attempts %s apart; the last: %s",
				rawURL, expect, bodyWanted(s.String("body_contains")), n, runbooks.FormatDuration(interval), why)
		}
		if err := s.Sleep(ctx, interval); err != nil {
			return nil, fmt.Errorf("%w after %d attempts of GET %s, the last: %s", err, n, rawURL, why)
		}
	}
}

// rewriteURL is the address to request for a URL of the runbook: itself,
// except in sandbox mode.
func (s *StepRun) rewriteURL(u string) string {
	if rw := s.exec.opts.RewriteURL; rw != nil {
		return rw(u)
	}
	return u
}

// probeOnce sends one GET and reads at most maxProbeBody of the answer.
func (s *StepRun) probeOnce(ctx context.Context, target string) probeAnswer {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return probeAnswer{err: err}
	}
	req.Header.Set("User-Agent", "drpilot http.probe (run "+s.exec.opts.RunID+")")
	resp, err := s.exec.opts.HTTPClient.Do(req)
	if err != nil {
		return probeAnswer{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProbeBody))
	return probeAnswer{status: resp.StatusCode, body: string(body), err: err}
}

// judge says whether the answer is the one wanted, and what it was.
func (a probeAnswer) judge(status int, contains string) (bool, string) {
	switch {
	case a.err != nil && a.status == 0:
		return false, "no answer: " + a.err.Error()
	case a.err != nil:
		return false, fmt.Sprintf("%d, but the body could not be read: %v", a.status, a.err)
	case a.status != status:
		return false, fmt.Sprintf("%d %s, body %s", a.status, http.StatusText(a.status), quoteBody(a.body))
	case contains != "" && !strings.Contains(a.body, contains):
		return false, fmt.Sprintf("%d, but the body %s lacks %q", a.status, quoteBody(a.body), contains)
	}
	return true, fmt.Sprintf("%d%s", a.status, bodyWanted(contains))
}

// bodyWanted describes the body condition, if any.
func bodyWanted(contains string) string {
	if contains == "" {
		return ""
	}
	return fmt.Sprintf(" with a body containing %q", contains)
}

// quoteBody shows the start of a body on one line.
func quoteBody(body string) string {
	const limit = 200
	body = strings.Join(strings.Fields(body), " ")
	if len(body) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		return fmt.Sprintf("%q…", body[:cut])
	}
	return fmt.Sprintf("%q", body)
}
