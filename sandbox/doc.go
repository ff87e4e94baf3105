// Package sandbox will hold the embedded AWS-compatible simulator that the
// sandbox mode, game days and drpilot's own tests run against (DESIGN §4).
// It stands alone: it imports nothing of drpilot's but the runbook TOML
// decoder.
package sandbox
