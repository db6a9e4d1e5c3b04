package kernels

import (
	"runtime"
	"syscall"
	"time"
)

// threadCPU returns the CPU time of the calling OS thread (the goroutine is
// locked to it first), so that a benchmark on a shared machine can report
// its rate per CPU-second next to the wall-clock one.
func threadCPU() (time.Duration, bool) {
	runtime.LockOSThread()
	var ru syscall.Rusage
	const rusageThread = 1
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
