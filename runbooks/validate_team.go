package runbooks

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

var (
	tableNameRE    = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)
	bucketNameRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	approverNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// Object Lock keeps an object for a whole number of days, at least one and
// at most a century.
const (
	day          = 24 * time.Hour
	maxRetention = MaxRetentionDays * day
)

// team checks [runbook.team]. Its values are read before the run, so each
// must be complete and literal (Load refused templates). A missing key is
// reported at its path, so that one Load already blamed (a wrong type, a
// template) is not reported again as missing.
func (v *validator) team() {
	t, r := v.rb.Team, v.rep
	if t == nil {
		return
	}
	v.teamRegion(t)
	switch {
	case t.LockTable == "":
		r.errorAt("runbook.team.lock_table", `add lock_table = "NAME": the DynamoDB table (partition key "pk", a string) that holds the run's lock and the approvals`, "[runbook.team] has no lock_table")
	case !tableNameRE.MatchString(t.LockTable):
		r.errorAtValue("runbook.team.lock_table", "a DynamoDB table name is 3 to 255 letters, digits, _, - and .", "malformed DynamoDB table name %q", t.LockTable)
	}
	if t.AuditBucket == "" {
		r.errorAt("runbook.team.audit_bucket", `add audit_bucket = "NAME": the S3 bucket, with Object Lock enabled, that keeps the audit log`, "[runbook.team] has no audit_bucket")
	} else if msg := bucketNameProblem(t.AuditBucket); msg != "" {
		r.errorAtValue("runbook.team.audit_bucket", "an S3 bucket name is 3 to 63 lower case letters, digits, dots and hyphens, starting and ending with a letter or digit", "malformed S3 bucket name %q: %s", t.AuditBucket, msg)
	}
	d := t.Retention.Duration
	switch {
	case d == 0:
		r.errorAt("runbook.team.retention", `add retention = "400d": how long Object Lock keeps the audit log's objects`, "[runbook.team] has no retention")
	case d < day:
		r.errorAtValue("runbook.team.retention", `give at least "1d"`, "retention %s is shorter than a day, the shortest Object Lock retention", t.Retention)
	case d > maxRetention:
		r.errorAtValue("runbook.team.retention", fmt.Sprintf("give at most \"%dd\"", MaxRetentionDays), "retention %s is longer than 100 years, the longest Object Lock retention", t.Retention)
	case d%day != 0:
		// Refused rather than rounded: the log would be kept for
		// longer than written, and no one can shorten it afterwards.
		r.errorAtValue("runbook.team.retention", fmt.Sprintf("Object Lock retention is a whole number of days: write %q or %q", FormatDuration(d.Truncate(day)), FormatDuration(d.Truncate(day)+day)), "retention %s is not a whole number of days", t.Retention)
	}
}

// teamRegion checks the lock's Region, which must be one that the
// primary's outage does not take down with it.
func (v *validator) teamRegion(t *Team) {
	const path = "runbook.team.region"
	if t.Region != "" && t.Region != RegionPrimary && t.Region != RegionRecovery {
		v.checkRegion(path, t.Region, true)
	}
	if t.Region != "" && v.rb.Regions.Primary != "" && v.rb.ResolveRegion(t.Region) == v.rb.Regions.Primary {
		v.rep.warnAtValue(path, "remove region (the lock then lives in the recovery Region) or name a Region other than the primary",
			"the lock table is in the primary Region, %s: when that Region is down the team cannot take the lock or approve", v.rb.Regions.Primary)
	}
}

// bucketNameProblem says what is wrong with an S3 bucket name, or "".
func bucketNameProblem(name string) string {
	switch {
	case len(name) < 3 || len(name) > 63:
		return fmt.Sprintf("it is %d characters long", len(name))
	case !bucketNameRE.MatchString(name):
		return "it may hold only lower case letters, digits, dots and hyphens, and must start and end with a letter or digit"
	case strings.Contains(name, ".."):
		return "it has two dots in a row"
	case isIPv4(name):
		return "it is formatted as an IP address"
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return fmt.Sprintf("the prefix %q is reserved", p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", "--x-s3", ".mrap"} {
		if strings.HasSuffix(name, s) {
			return fmt.Sprintf("the suffix %q is reserved", s)
		}
	}
	return ""
}

func isIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

// approvals checks a step's approvals and approvers. gate is the step's
// gate as the plan will resolve it, "" when unknown (an unknown action).
func (v *validator) approvals(i int, gate string) {
	s, r := &v.rb.Steps[i], v.rep
	path := v.stepPath(i)
	if s.approvalsSet && s.Approvals < 1 {
		r.errorAtValue(path+".approvals", "write 1 for the operator alone, or the number of distinct keys that must approve", "approvals must be at least 1")
	}
	if s.approversSet && !s.approvalsSet {
		r.errorAt(path+".approvers", fmt.Sprintf("add approvals = N, how many of these %d must approve", len(s.Approvers)), "approvers without approvals")
	}
	if s.Approvals > 1 {
		v.multiApproval(i, gate)
	}
	v.approvers(i)
}

// multiApproval checks what approvals > 1 needs: other machines to approve
// through (the lock table) and a gate at which to ask them.
func (v *validator) multiApproval(i int, gate string) {
	s, r := &v.rb.Steps[i], v.rep
	path := v.stepPath(i) + ".approvals"
	if v.rb.Team == nil {
		r.errorAtValue(path, "add a [runbook.team] table with lock_table, audit_bucket and retention: the other approvers approve from their machines through its lock table",
			"approvals = %d needs [runbook.team]", s.Approvals)
	}
	switch {
	case s.Confirm == ConfirmNone:
		r.errorAtValue(path, `remove confirm = "none", or remove approvals`, "approvals = %d on a step with confirm = \"none\": nobody is asked", s.Approvals)
	case gate == ConfirmNone && s.Action != "manual":
		// A manual step always asks its operator to confirm the checklist
		// done; each approver confirms it too. Another read-only step asks
		// nobody unless its confirm says so.
		r.errorAtValue(path, `add confirm = "yes" (or "type")`, "approvals = %d on a read-only step, which asks nobody to confirm", s.Approvals)
	}
	// An empty or mistyped approvers list is reported as such (approvers).
	if len(s.Approvers) > 0 && s.Approvals > len(s.Approvers) {
		r.errorAtValue(path, fmt.Sprintf("list at least %d approvers, or lower approvals to at most %d", s.Approvals, len(s.Approvers)),
			"approvals = %d but only %d approvers: each key counts once, so the step could never be approved", s.Approvals, len(s.Approvers))
	}
}

// approvers checks the names, and warns about a name whose public key is
// not next to the runbook: the runbook may be checked on a machine that
// does not hold the keys, but a run there cannot verify that approval.
func (v *validator) approvers(i int) {
	s, r := &v.rb.Steps[i], v.rep
	if !s.approversSet {
		return // the common case, without the work below
	}
	path := v.stepPath(i) + ".approvers"
	if s.approversSet && len(s.Approvers) == 0 && !v.rep.diags.hasAt(path) {
		r.errorAtValue(path, "name the keys whose holders may approve, or remove approvers", "approvers is empty")
		return
	}
	// Names are compared without case: on a case-insensitive file system
	// (macOS, Windows) "Alice" and "alice" are one key file, which would
	// count twice towards approvals.
	seen := map[string]string{}
	keys := filepath.Join(filepath.Dir(v.rb.File), "keys")
	for j, name := range s.Approvers {
		p := indexPath(path, j)
		switch {
		case HasTemplate(name):
			r.errorAtValue(p, "write the key's name: approvers are checked before the run", "templates are not allowed in approvers")
		case !approverNameRE.MatchString(name):
			r.errorAtValue(p, "an approver is the NAME of keys/NAME.pub: letters, digits, ., _ and -", "malformed approver name %q", name)
		case seen[strings.ToLower(name)] != "":
			first := seen[strings.ToLower(name)]
			hint := "remove the repeat: each key counts once"
			if first != name {
				hint = fmt.Sprintf("it names the same key file as %q where case is ignored; each key counts once", first)
			}
			r.errorAtValue(p, hint, "approver %q is listed twice", name)
		default:
			seen[strings.ToLower(name)] = name
			file := filepath.Join(keys, name+".pub")
			if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
				r.warnAtValue(p, fmt.Sprintf("have %s run 'drpilot pubkey' and, after your team reviews it, save its output as %s", name, file),
					"no public key for approver %q next to the runbook", name)
			}
		}
	}
}
