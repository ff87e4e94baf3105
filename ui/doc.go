// Package ui will hold the bubbletea v2 program that walks the operator
// through a run: a consumer of the Executor's events and the provider of
// its approvals (DESIGN §1, §7). Only ui/ and cmd/ import Charm packages.
package ui
