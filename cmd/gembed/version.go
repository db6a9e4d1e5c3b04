package main

import (
	"fmt"
	"runtime"

	"github.com/gembed-dev/gembed/layers"
	"github.com/urfave/cli/v2"
)

// buildName says which of the two builds this binary is: the default cgo
// build links OpenBLAS; CGO_ENABLED=0 or -tags purego needs nothing.
func buildName() string {
	if layers.BLASName == "openblas" {
		return "cgo + OpenBLAS"
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
		Usage: "print the version, the build (cgo + OpenBLAS or pure Go) and the kernels in use",
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
