// Package ui is the bubbletea v2 program that walks the operator through a
// run: a consumer of the Executor's events and the provider of its
// approvals (docs/architecture.md). The executor runs in its own goroutine; the
// Bridge turns its events and its questions into messages, and the model
// answers questions through reply channels, so that Update never blocks
// and never does I/O. Only ui/ and cmd/ import Charm packages.
package ui
