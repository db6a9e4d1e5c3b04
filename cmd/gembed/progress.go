package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progressBar draws "label [=====>    ] done/total unit  rate" on one
// terminal line of w, at most ten times a second.
type progressBar struct {
	mu      sync.Mutex
	w       io.Writer
	label   string
	unit    string
	total   int
	start   time.Time
	last    time.Time
	drawn   bool
	enabled bool
}

func newProgressBar(w io.Writer, enabled bool, label, unit string, total int) *progressBar {
	return &progressBar{w: w, enabled: enabled, label: label, unit: unit, total: total, start: time.Now()}
}

func (p *progressBar) set(done int) {
	if p == nil || !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if done < p.total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	const width = 30
	frac := 1.0
	if p.total > 0 {
		frac = float64(done) / float64(p.total)
	}
	n := int(frac * width)
	bar := strings.Repeat("=", n)
	if n < width {
		bar += ">" + strings.Repeat(" ", width-n-1)
	}
	rate := float64(done) / max(now.Sub(p.start).Seconds(), 1e-9)
	fmt.Fprintf(p.w, "\r%s [%s] %d/%d %s  %.1f/s ", p.label, bar, done, p.total, p.unit, rate)
	p.drawn = true
}

// finish ends the bar's line.
func (p *progressBar) finish() {
	if p == nil || !p.drawn {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w)
	p.drawn = false
}
