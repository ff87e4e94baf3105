#!/usr/bin/env bash
# make test-interop: the sandbox as independent AWS clients see it. Starts
# drpilot sandbox on a free loopback port, creates resources with the AWS
# CLI alone (through the services' own create operations), reads them back
# with the CLI, and compares (scripts/interop_checks.sh); then, against a
# fresh sandbox, the game-day battery (scripts/interop_battery.sh): the
# calls an engineer makes by hand, each passing or cleanly not simulated.
# Runs once per AWS CLI major version found
# (Debian's awscli is v2; a Python aws CLI v1 is used when one is on PATH);
# a version that is missing is reported and skipped.
set -uo pipefail
cd "$(dirname "$0")/.."

bin=${DRPILOT:-bin/drpilot}
[ -x "$bin" ] || { echo "interop: build drpilot first (make build)"; exit 2; }

# Find one aws CLI of each major version.
declare -A clis
while read -r candidate; do
  version=$("$candidate" --version 2>&1 | head -n 1)
  case "$version" in
    aws-cli/1.*) clis[v1]=${clis[v1]:-$candidate} ;;
    aws-cli/2.*) clis[v2]=${clis[v2]:-$candidate} ;;
  esac
done < <(type -ap aws; ls /usr/bin/aws /usr/local/bin/aws 2>/dev/null)
for v in v2 v1; do
  [ -n "${clis[$v]:-}" ] || echo "interop: no AWS CLI $v on this machine: skipping it (.ci/run installs Debian's awscli, which is v2)"
done
[ ${#clis[@]} -gt 0 ] || { echo "interop: no AWS CLI at all: nothing to check"; exit 0; }

failures=0
run_with() {
  local aws=$1 label=$2 script=$3
  local log
  log=$(mktemp)
  # Real time: a state set by hand (an alarm's) must outlast the next command.
  "$bin" sandbox --addr 127.0.0.1:0 > "$log" 2>&1 &
  local pid=$!
  local endpoint=""
  for _ in $(seq 100); do
    endpoint=$(sed -n 's/^export AWS_ENDPOINT_URL=//p' "$log")
    [ -n "$endpoint" ] && break
    sleep 0.1
  done
  if [ -z "$endpoint" ]; then
    echo "interop: drpilot sandbox did not start:"; cat "$log"; kill "$pid" 2>/dev/null; return 1
  fi
  echo "== $label ($("$aws" --version 2>&1 | head -n 1)) against $endpoint"
  (
    export AWS_ENDPOINT_URL=$endpoint AWS_ACCESS_KEY_ID=AKIDINTEROP AWS_SECRET_ACCESS_KEY=interop-secret
    export AWS_DEFAULT_REGION=us-west-2 AWS_REGION=us-west-2 AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
    AWS=$aws ENDPOINT=$endpoint bash "$script"
  )
  local status=$?
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  rm -f "$log"
  return $status
}

for v in v2 v1; do
  [ -n "${clis[$v]:-}" ] || continue
  run_with "${clis[$v]}" "AWS CLI $v" scripts/interop_checks.sh || failures=$((failures + 1))
  run_with "${clis[$v]}" "AWS CLI $v, game-day battery" scripts/interop_battery.sh || failures=$((failures + 1))
done
[ "$failures" -eq 0 ] && echo "interop: every check passed" || { echo "interop: $failures CLI run(s) failed"; exit 1; }
