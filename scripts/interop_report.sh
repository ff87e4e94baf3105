#!/usr/bin/env bash
# make test-interop, fourth part: the HTML record in a real browser. A
# sandbox run of a shipped runbook with a fault added to its scenario (a
# throttled DynamoDB, which fails the carts restore) is exported as HTML,
# and headless Chromium renders it: a screenshot that must not be blank, a
# PDF (the page prints on A4), and the DOM after rendering, which must hold
# the verdict banner, the SIMULATED banner and the timeline's SVG. Skips,
# and says so, where chromium is not on the machine (.ci/run installs it).
# REPORT_KEEP=DIR keeps the HTML, PNG and PDF in DIR to look at.
set -uo pipefail
cd "$(dirname "$0")/.."

bin=${DRPILOT:-bin/drpilot}
[ -x "$bin" ] || { echo "report check: build drpilot first (make build)"; exit 2; }
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "report check: no chromium on this machine: skipping the HTML report's browser check (.ci/run installs it)"; exit 0; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "report check: FAIL: $*"; exit 1; }

runbook=runbooks/ecommerce-pilot-light.toml
cp runbooks/scenarios/ecommerce-pilot-light.toml "$work/scenario.toml"
printf '\n[[faults]]\nthrottle = { service = "dynamodb", rate = 1.0 }\n' >>"$work/scenario.toml"
# The fault fails a step and the headless run pauses on it: exit 1 is the
# run's answer, not the check's.
XDG_STATE_HOME=$work/state "$bin" run "$runbook" --sandbox --headless --yes --scenario "$work/scenario.toml" \
  --audit-dir "$work/run" >"$work/run.out" 2>&1
[ -f "$work/run/events.jsonl" ] || { cat "$work/run.out"; fail "the run left no log"; }
grep -q '"throttle"' "$work/run/events.jsonl" || fail "run.start does not record the scenario's fault"

"$bin" audit export "$work/run" --pub "$work/run/pub.pem" --format html -o "$work/report.html" 2>"$work/export.err"
[ -s "$work/report.html" ] || { cat "$work/export.err"; fail "export wrote no HTML"; }
grep -qi '<script' "$work/report.html" && fail "the report holds a script"

url="file://$work/report.html"
flags=(--headless --no-sandbox --disable-gpu --user-data-dir="$work/profile")
timeout 120 "$chromium" "${flags[@]}" --screenshot="$work/report.png" --window-size=1280,2000 "$url" >/dev/null 2>&1
timeout 120 "$chromium" "${flags[@]}" --no-pdf-header-footer --print-to-pdf="$work/report.pdf" "$url" >/dev/null 2>&1
timeout 120 "$chromium" "${flags[@]}" --dump-dom "$url" >"$work/dom.html" 2>/dev/null

size=$(stat -c %s "$work/report.png" 2>/dev/null || echo 0)
[ "$size" -gt 40000 ] || fail "the screenshot is $size bytes: blank or missing"
[ -s "$work/report.pdf" ] && head -c 5 "$work/report.pdf" | grep -q '%PDF' || fail "no PDF"
grep -q 'Audit log: INCOMPLETE' "$work/dom.html" || fail "the rendered DOM has no verdict banner"
grep -q 'SIMULATED — sandbox run' "$work/dom.html" || fail "the rendered DOM has no SIMULATED banner"
grep -q '<svg class="timeline"' "$work/dom.html" || fail "the rendered DOM has no timeline SVG"
grep -q 'class="rto"' "$work/dom.html" || fail "the timeline has no RTO line or label"
grep -q 'throttling of dynamodb' "$work/dom.html" || fail "the scorecard does not name the fault"
pages=$(grep -aoE '/Type ?/Page($|[^s])' "$work/report.pdf" | wc -l)

if [ -n "${REPORT_KEEP:-}" ]; then
  mkdir -p "$REPORT_KEEP" && cp "$work/report.html" "$work/report.png" "$work/report.pdf" "$REPORT_KEEP/"
fi
echo "report check: ok (screenshot $((size / 1024)) KB, PDF of ${pages:-?} A4 page(s), banner and timeline in the rendered DOM)"
