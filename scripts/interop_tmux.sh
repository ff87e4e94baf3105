#!/usr/bin/env bash
# make test-interop, third part: the real binary in a real terminal. tmux
# runs drpilot's terminal UI on a shipped runbook in sandbox mode; the
# script reads the screen (capture-pane) and answers as an operator would
# (Enter to start, space for each checklist item, y at each gate, the step
# id at each typed one) until
# the finish screen, then checks the exit code and the audit log. A second
# session watches the run (drpilot watch RUN_DIR) from its log, read-only,
# to its end. Skips, and says so, where tmux is not on the machine.
set -uo pipefail
cd "$(dirname "$0")/.."

bin=${DRPILOT:-bin/drpilot}
[ -x "$bin" ] || { echo "tmux smoke: build drpilot first (make build)"; exit 2; }
command -v tmux >/dev/null || { echo "tmux smoke: no tmux on this machine: skipping the terminal UI smoke test (.ci/run installs it)"; exit 0; }

runbook=${TMUX_RUNBOOK:-runbooks/ecs-fargate-failover.toml}
work=$(mktemp -d)
session=drpilot-smoke-$$
trap 'tmux kill-session -t "$session" 2>/dev/null; tmux kill-session -t "$session-watch" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "tmux smoke: FAIL: $*"; tmux capture-pane -t "$session" -p 2>/dev/null | sed 's/^/  | /'; exit 1; }

tmux new-session -d -s "$session" -x 120 -y 40 \
  "XDG_STATE_HOME=$work/state $bin run $runbook --sandbox --audit-dir $work/run; echo \$? > $work/exit; sleep 600"
screen() { tmux capture-pane -t "${1:-$session}" -p; }
waitfor() { # pattern, seconds[, session]
  for _ in $(seq $(($2 * 10))); do screen "${3:-$session}" | grep -q -- "$1" && return 0; sleep 0.1; done
  return 1
}

waitfor "Readiness" 20 || fail "no start screen"
screen | grep -q "SANDBOX" || fail "the start screen does not show the mode"
tmux new-session -d -s "$session-watch" -x 120 -y 40 "$bin watch $work/run; echo \$? > $work/watch-exit; sleep 600"
tmux send-keys -t "$session" Enter
for _ in $(seq 1200); do
  s=$(screen)
  if grep -q "SUCCEEDED\|FAILED (\|ABORTED" <<<"$s"; then break; fi
  if id=$(grep -o "type its id ([a-z0-9-]*)" <<<"$s" | head -1 | sed 's/.*(\(.*\))/\1/') && [ -n "$id" ]; then
    tmux send-keys -t "$session" -l "$id"; tmux send-keys -t "$session" Enter
  elif grep -q "Tick each item" <<<"$s" && grep -q "\[ \]" <<<"$s"; then
    tmux send-keys -t "$session" Space
  elif grep -q "y approves\|Tick each item" <<<"$s"; then
    tmux send-keys -t "$session" y
  fi
  sleep 0.1
done
screen | grep -q "SUCCEEDED" || fail "the run did not succeed on screen"
tmux send-keys -t "$session" q
for _ in $(seq 100); do [ -s "$work/exit" ] && break; sleep 0.1; done
[ "$(cat "$work/exit" 2>/dev/null)" = 0 ] || fail "drpilot exited $(cat "$work/exit" 2>/dev/null)"
screen | grep -q "verify: drpilot audit verify" || fail "the finish lines are not left in the terminal"
"$bin" audit verify "$work/run" --pub "$work/run/pub.pem" >/dev/null || fail "the audit log does not verify"
waitfor "the run ended: SUCCEEDED" 20 "$session-watch" || { session=$session-watch; fail "the watch did not follow the run to its end"; }
screen "$session-watch" | grep -q "WATCHING run" || { session=$session-watch; fail "the watch does not say whose run it shows"; }
tmux send-keys -t "$session-watch" A
waitfor "read-only: this is a watch" 5 "$session-watch" || { session=$session-watch; fail "a key that steers the run was not refused in the watch"; }
tmux send-keys -t "$session-watch" q
for _ in $(seq 100); do [ -s "$work/watch-exit" ] && break; sleep 0.1; done
[ "$(cat "$work/watch-exit" 2>/dev/null)" = 0 ] || fail "drpilot watch exited $(cat "$work/watch-exit" 2>/dev/null)"
echo "tmux smoke: $runbook through the terminal UI in tmux, answered from the screen, and watched from another: ok"
