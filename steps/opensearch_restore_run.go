package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// opensearch.restore-snapshot: choose the snapshot before the gate, so
// that the approver sees which one is restored, how old it is, and the
// request that restores it; restore it unless its indices exist already;
// wait until they are green. The domain's REST API is no SDK operation:
// its requests are signed by the client factory (reads) and sent through
// External (the restore), which audits it write-ahead like an AWS call.

// The operations as IAM names them.
const (
	esHTTPGet  = "es:ESHttpGet"
	esHTTPPost = "es:ESHttpPost"
)

// planOpenSearchRestore finds the endpoint and the snapshot, notes its
// age, and plans the restore the gate shows: its URL and its body.
func planOpenSearchRestore(ctx context.Context, s *StepRun) ([]request, error) {
	endpoint, err := searchEndpoint(ctx, s)
	if err != nil {
		return nil, err
	}
	repository := s.String("repository")
	if endpoint == "" {
		return []request{unknownDomainRestore(s)}, nil
	}
	sn, err := chooseSearchSnapshot(ctx, s, endpoint, repository, s.String("snapshot"))
	if err != nil {
		return nil, err
	}
	noteSearchSnapshotAge(s, sn)
	patterns := stringList(s.params["indices"])
	targets, err := restoredIndexNames(stringList(sn["indices"]), patterns, s.String("rename_pattern"), s.String("rename_replacement"))
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", respString(sn, "snapshot"), err)
	}
	in := restoreInput(s, endpoint, respString(sn, "snapshot"))
	simulated := map[string]any{"Endpoint": endpoint, "Snapshot": respString(sn, "snapshot"),
		"SnapshotStartTime": respString(sn, "start_time"), "Indices": targets, "Status": "green"}
	return []request{s.primaryRequest(esHTTPPost, in, simulated)}, nil
}

// restoreInput is the restore request as the gate shows it and the audit
// log records it: the URL, and the JSON body, which restores no cluster
// state (include_global_state false: the recovery domain's own settings,
// templates and security configuration stay).
func restoreInput(s *StepRun, endpoint, snapshot string) map[string]any {
	body := map[string]any{"indices": strings.Join(stringList(s.params["indices"]), ","), "include_global_state": false}
	if p := s.String("rename_pattern"); p != "" {
		body["rename_pattern"], body["rename_replacement"] = p, s.String("rename_replacement")
	}
	return map[string]any{"DomainName": s.String("domain_name"), "Method": http.MethodPost,
		"URL": endpointURL(endpoint, "_snapshot", s.String("repository"), snapshot, "_restore"), "Body": body}
}

// unknownDomainRestore is dry-run's plan for a domain that does not exist
// (an earlier step whose change was simulated creates it): the restore as
// far as it can be known, its endpoint and snapshot named for what they
// stand for.
func unknownDomainRestore(s *StepRun) request {
	snapshot := s.String("snapshot")
	if snapshot == "latest" {
		snapshot = "<the newest SUCCESS snapshot at run time>"
	}
	in := restoreInput(s, "<endpoint of domain "+s.String("domain_name")+">", snapshot)
	simulated := map[string]any{"Snapshot": snapshot, "Indices": stringList(s.params["indices"]), "Status": "green"}
	return s.primaryRequest(esHTTPPost, in, simulated)
}

// runOpenSearchRestore sends the planned restore unless its indices
// exist already, and waits for their health.
func runOpenSearchRestore(ctx context.Context, s *StepRun) (map[string]any, error) {
	r, _, err := s.plannedRequest(ctx)
	if err != nil {
		return nil, err
	}
	endpoint, _ := r.simulated["Endpoint"].(string)
	targets := stringList(r.simulated["Indices"])
	var existing []string
	if endpoint != "" { // "" only in dry-run, for a domain an earlier step creates
		if existing, err = existingIndices(ctx, s, endpoint, targets); err != nil {
			return nil, err
		}
	}
	switch {
	case len(existing) == len(targets):
		s.Note("the indices %s exist already (an earlier attempt restored them): the restore is not sent again, the step waits for their health; "+
			"which snapshot they came from is not known to this attempt, so the step's recovery point is not measured", strings.Join(targets, ", "))
	case len(existing) > 0:
		return nil, fmt.Errorf("the indices %s exist already in domain %s and OpenSearch refuses to restore over an open index: "+
			"delete or close them, or restore under other names with rename_pattern and rename_replacement, then retry the step",
			strings.Join(existing, ", "), s.String("domain_name"))
	default:
		if err := sendRestore(ctx, s, r); err != nil {
			return nil, err
		}
	}
	out := map[string]any{}
	for _, k := range []string{"Endpoint", "Snapshot", "SnapshotStartTime", "Indices"} {
		out[k] = r.simulated[k]
	}
	if len(existing) == 0 {
		if at, err := time.Parse(time.RFC3339Nano, respString(out, "SnapshotStartTime")); err == nil {
			s.RecoveredTo(at, "OpenSearch snapshot "+respString(out, "Snapshot"))
		}
	}
	health, err := waitIndicesHealthy(ctx, s, endpoint, targets)
	if err != nil {
		return nil, err
	}
	out["Status"] = health
	return out, nil
}

// sendRestore POSTs the planned restore through External: in the audit
// log before it is sent, not sent in dry-run, reused on resume.
func sendRestore(ctx context.Context, s *StepRun, r request) error {
	if err := s.declared(esHTTPPost); err != nil {
		return err
	}
	rawURL, _ := r.Input["URL"].(string)
	body, err := json.Marshal(r.Input["Body"])
	if err != nil {
		return err
	}
	call := ExternalCall{Operation: esHTTPPost, Region: r.Region, URL: rawURL, RequestedURL: s.rewriteURL(rawURL), Input: r.Input}
	_, err = s.External(ctx, call, func(ctx context.Context) (map[string]any, error) {
		ans, err := s.exec.opts.Clients.SignedRequest(ctx, "es", r.Region, http.MethodPost, call.RequestedURL, body)
		if err != nil {
			return nil, err
		}
		out := map[string]any{"StatusCode": ans.Status}
		if ans.Status != http.StatusOK {
			return out, endpointError(esHTTPPost, r.Region, ans)
		}
		return out, nil
	})
	if err != nil {
		return fmt.Errorf("restore snapshot into domain %s: %w", s.String("domain_name"), err)
	}
	return nil
}

// searchEndpoint is the domain's endpoint host, from DescribeDomain: the
// public one, or in a VPC the vpc one; "" in dry-run for a domain that
// does not exist.
func searchEndpoint(ctx context.Context, s *StepRun) (string, error) {
	name := s.String("domain_name")
	out, err := s.Read(ctx, "es:DescribeDomain", map[string]any{"DomainName": name})
	if missingInDryRun(s, err, "OpenSearch domain "+name) {
		return "", nil
	}
	if errorCode(err) == "ResourceNotFoundException" {
		return "", fmt.Errorf("OpenSearch domain %s does not exist in %s: check domain_name and the step's region (an opensearch.wait-healthy step before this one waits for a new domain)", name, s.Region())
	}
	if err != nil {
		return "", err
	}
	d := respMap(out["DomainStatus"])
	endpoint := respString(d, "Endpoint")
	if endpoint == "" {
		endpoint = respString(respMap(d["Endpoints"]), "vpc")
	}
	if endpoint == "" {
		return "", fmt.Errorf("OpenSearch domain %s has no endpoint yet: wait for it with opensearch.wait-healthy before restoring into it", name)
	}
	return endpoint, nil
}

// endpointURL is https://<endpoint>/<parts...>, each part escaped.
func endpointURL(endpoint string, parts ...string) string {
	escaped := make([]string, len(parts))
	for i, p := range parts {
		escaped[i] = url.PathEscape(p)
	}
	return "https://" + endpoint + "/" + strings.Join(escaped, "/")
}

// endpointGet reads a path of the domain's REST API and decodes its JSON
// answer into v.
func endpointGet(ctx context.Context, s *StepRun, rawURL string, v any) error {
	if err := s.declared(esHTTPGet); err != nil {
		return err
	}
	region := s.callRegion(esHTTPGet)
	ans, err := s.exec.opts.Clients.SignedRequest(ctx, "es", region, http.MethodGet, s.rewriteURL(rawURL), nil)
	if err != nil {
		return &awsclient.CallError{Service: "es", Operation: "ESHttpGet", Region: region, Retryable: ctx.Err() == nil, Err: err}
	}
	if ans.Status != http.StatusOK {
		return endpointError(esHTTPGet, region, ans)
	}
	if err := json.Unmarshal(ans.Body, v); err != nil {
		return fmt.Errorf("GET %s: the answer is not the JSON expected: %w", rawURL, err)
	}
	return nil
}

// endpointError is a domain's answer other than 200 as a CallError: the
// OpenSearch error's type and reason, or IAM's refusal; 429 and 5xx may be
// retried.
func endpointError(operation, region string, ans awsclient.EndpointAnswer) error {
	var body struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Msg     string          `json:"Message"`
	}
	_ = json.Unmarshal(ans.Body, &body)
	var detail struct{ Type, Reason string }
	code, msg := http.StatusText(ans.Status), cmpOr(body.Message, body.Msg, strings.TrimSpace(string(ans.Body)))
	if json.Unmarshal(body.Error, &detail) == nil && detail.Type != "" {
		code, msg = detail.Type, detail.Reason
	}
	service, op, _ := splitOperation(operation)
	return &awsclient.CallError{Service: service, Operation: op, Region: region, Code: code, Message: msg, HTTPStatus: ans.Status,
		Retryable: ans.Status == http.StatusTooManyRequests || ans.Status >= 500, Err: errors.New(msg)}
}

// cmpOr is the first non-empty string.
func cmpOr(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// chooseSearchSnapshot returns the snapshot named, or with "latest" the
// newest SUCCESS one, from GET _snapshot/<repository>/_all.
func chooseSearchSnapshot(ctx context.Context, s *StepRun, endpoint, repository, which string) (map[string]any, error) {
	var listing struct {
		Snapshots []map[string]any `json:"snapshots"`
	}
	if err := endpointGet(ctx, s, endpointURL(endpoint, "_snapshot", repository, "_all"), &listing); err != nil {
		return nil, fmt.Errorf("list the snapshots of repository %s: %w", repository, err)
	}
	var chosen map[string]any
	for _, sn := range listing.Snapshots {
		switch {
		case which != "latest" && respString(sn, "snapshot") == which:
			if state := respString(sn, "state"); state != "SUCCESS" {
				return nil, fmt.Errorf("snapshot %s of repository %s is %s, not SUCCESS: some of its shards were not saved, "+
					"so restoring it would leave indices red; choose another, or \"latest\"", which, repository, state)
			}
			return sn, nil
		case which == "latest" && respString(sn, "state") == "SUCCESS" &&
			(chosen == nil || respString(sn, "start_time") > respString(chosen, "start_time")):
			chosen = sn
		}
	}
	if chosen == nil {
		what := "no snapshot named " + which
		if which == "latest" {
			what = "no SUCCESS snapshot"
		}
		return nil, fmt.Errorf("repository %s of domain %s has %s (%d snapshots listed): check repository and snapshot, "+
			"and that the repository is registered on the recovery domain", repository, s.String("domain_name"), what, len(listing.Snapshots))
	}
	return chosen, nil
}

// noteSearchSnapshotAge tells the approver which snapshot is restored and
// how much data restoring it loses, against the runbook's rpo.
func noteSearchSnapshotAge(s *StepRun, sn map[string]any) {
	what := fmt.Sprintf("snapshot %s of repository %s", respString(sn, "snapshot"), s.String("repository"))
	if s.String("snapshot") == "latest" {
		what = "the newest successful " + what
	}
	start, err := time.Parse(time.RFC3339Nano, respString(sn, "start_time"))
	if err != nil {
		s.Note("%s has no start time: the step's recovery point is not measured", what)
		return
	}
	age := max(s.exec.now().Sub(start), 0).Round(time.Second)
	what += fmt.Sprintf(", started %s (%s ago)", start.UTC().Format(time.RFC3339), runbooks.FormatDuration(age))
	noteAgainstRPO(s, what, age)
}

// restoredIndexNames are the snapshot's indices that patterns match, as
// rename_pattern and rename_replacement name them once restored.
func restoredIndexNames(indices, patterns []string, renamePattern, replacement string) ([]string, error) {
	var out []string
	for _, n := range indices {
		if slices.ContainsFunc(patterns, func(p string) bool { ok, _ := path.Match(p, n); return ok }) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("none of its indices (%s) matches %s", strings.Join(indices, ", "), strings.Join(patterns, ", "))
	}
	if renamePattern == "" {
		return out, nil
	}
	re, err := regexp.Compile(renamePattern)
	if err != nil {
		return nil, fmt.Errorf("rename_pattern: %w", err)
	}
	for i, n := range out {
		// OpenSearch's replacement is Java's: $1 is a group, as in Go.
		out[i] = re.ReplaceAllString(n, replacement)
	}
	return out, nil
}

// stringList reads a list of strings from a parameter or an answer.
func stringList(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}
