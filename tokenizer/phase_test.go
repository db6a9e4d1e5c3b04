package tokenizer

import (
	"syscall"
	"testing"
	"time"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestLoadPhases(t *testing.T) {
	data := readTokenizerJSON(t, "qwen3-embedding")
	for range 3 {
		c0, w0 := cpuNow(), time.Now()
		parse(data)
		t.Logf("load: wall %v cpu %v", time.Since(w0), cpuNow()-c0)
	}
	c0, w0 := cpuNow(), time.Now()
	m := map[string]int32{}
	for i := range 150000 {
		m[data[i*50:i*50+6]] = int32(i)
	}
	t.Logf("150k map assign: wall %v cpu %v", time.Since(w0), cpuNow()-c0)
}
