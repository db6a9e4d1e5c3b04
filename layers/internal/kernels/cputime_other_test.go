//go:build !linux

package kernels

import "time"

func threadCPU() (time.Duration, bool) { return 0, false }
