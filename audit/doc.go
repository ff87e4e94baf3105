// Package audit will hold drpilot's signed, hash-chained event log: the
// Writer the executor writes through before every mutating call, Verify,
// Export and Replay (DESIGN §5). Its first code lands with the audit-log
// issue; the package exists now so that the layout of DESIGN §1 is whole
// and the import rules can be checked against it.
package audit
