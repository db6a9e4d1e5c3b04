package main

import (
	"fmt"
	"runtime"

	"github.com/gembed-dev/gembed/layers"
	"github.com/urfave/cli/v2"
)

// buildName says which build this binary is: both are pure Go (no cgo, no
// system library); -tags purego leaves out the assembly kernels.
func buildName() string {
	if purego {
		return "pure Go, portable kernels (-tags purego)"
	}
	return "pure Go"
}

// buildSummary is one line naming the build and the kernels running.
func buildSummary() string {
	return fmt.Sprintf("%s build, %s, %s/%s; kernels: %s", buildName(), runtime.Version(), runtime.GOOS, runtime.GOARCH, layers.Kernels())
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, the build and the kernels in use",
		Action: func(c *cli.Context) error {
			if err := noArgs(c, ""); err != nil {
				return err
			}
			_, err := fmt.Fprintf(c.App.Writer, "gembed %s\nbuild:   %s\ngo:      %s %s/%s\nkernels: %s\n",
				version, buildName(), runtime.Version(), runtime.GOOS, runtime.GOARCH, layers.Kernels())
			return err
		},
	}
}
