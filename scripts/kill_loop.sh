#!/usr/bin/env bash
# The kill loop: every shipped runbook's --sandbox run killed with SIGKILL
# at many points and resumed (cmd/drpilot/killloop_test.go). It takes
# minutes, so make test does not run it: make kill-loop does.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
DRPILOT_KILL_LOOP=1 go test ./cmd/drpilot -run '^TestKillLoopOverShippedRunbooks$' -count=1 -timeout 20m -v >"$out" 2>&1
status=$?
grep -E '^(ok|FAIL|PASS)|--- (FAIL|PASS|SKIP)|kill loop:|killloop_test.go' "$out"
exit $status
