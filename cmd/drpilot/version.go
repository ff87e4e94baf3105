package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and revision are set by the Makefile with -ldflags -X when the
// build has no VCS information of its own (GOFLAGS=-buildvcs=false, or a
// source tree without .git).
var (
	version  = ""
	revision = ""
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print drpilot's version and VCS revision",
		Args:  argsExactly(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVersion(cmd.Context(), cmd.OutOrStdout())
		},
	}
}

func runVersion(_ context.Context, w io.Writer) error {
	v, rev, dirty := buildInfo()
	if dirty {
		rev += " (modified)"
	}
	_, err := fmt.Fprintf(w, "drpilot %s\nrevision %s\n%s %s/%s\n", v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}

// buildInfo returns the module version and VCS revision: from the Go build
// information when it has them, else from the linker flags, else unknown.
func buildInfo() (ver, rev string, dirty bool) {
	ver, rev = version, revision
	if info, ok := debug.ReadBuildInfo(); ok {
		if ver == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			ver = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if ver == "" {
		ver = "(devel)"
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev, dirty
}

func versionString() string {
	v, rev, _ := buildInfo()
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return v + " (" + rev + ")"
}
