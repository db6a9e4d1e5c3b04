package hub

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// ProgressKind says what happened to a file.
type ProgressKind int

const (
	ProgressStart  ProgressKind = iota // download starts (Bytes > 0: resumed)
	ProgressBytes                      // more bytes arrived
	ProgressRetry                      // an attempt failed (Err) and will be retried
	ProgressDone                       // blob verified and in place
	ProgressFailed                     // gave up (Err)
	ProgressCached                     // nothing to download: already in the cache
)

func (k ProgressKind) String() string {
	switch k {
	case ProgressStart:
		return "start"
	case ProgressBytes:
		return "bytes"
	case ProgressRetry:
		return "retry"
	case ProgressDone:
		return "done"
	case ProgressFailed:
		return "failed"
	case ProgressCached:
		return "cached"
	}
	return fmt.Sprintf("ProgressKind(%d)", int(k))
}

// ProgressEvent reports on one file of a download.
type ProgressEvent struct {
	Kind  ProgressKind
	Repo  string
	File  string // path in the repo
	Bytes int64  // bytes of the file on disk so far (-1 unknown)
	Total int64  // file size (-1 unknown)
	Err   error  // for ProgressRetry and ProgressFailed
}

// TerminalProgress returns a Client.Progress callback that draws a bar per
// file (bytes, rate, ETA) on w when w is a terminal, and does nothing
// otherwise (a pipe or a log file stays clean). Typical use:
//
//	c.Progress = hub.TerminalProgress(os.Stderr)
func TerminalProgress(w io.Writer) func(ProgressEvent) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func(ProgressEvent) {}
	}
	width := 100
	if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
		width = cols
	}
	return NewProgressRenderer(w, width)
}

// NewProgressRenderer draws progress bars on w unconditionally, in lines of
// at most width columns, redrawing in place with ANSI cursor movement and at
// most ~10 times a second. Files found in the cache are not shown.
func NewProgressRenderer(w io.Writer, width int) func(ProgressEvent) {
	r := &renderer{w: w, width: max(width, 40), now: time.Now}
	return r.event
}

type barState struct {
	file        string
	bytes       int64
	total       int64
	startBytes  int64
	start       time.Time
	done        bool
	failed      bool
	retryReason string
}

type renderer struct {
	mu       sync.Mutex
	w        io.Writer
	width    int
	now      func() time.Time
	bars     []*barState
	byFile   map[string]*barState
	drawn    int // lines drawn last time
	frozen   int // bars[:frozen] are finished and scrolled out of the redraw region
	lastDraw time.Time
}

func (r *renderer) event(ev ProgressEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ev.Kind == ProgressCached {
		return
	}
	if r.byFile == nil {
		r.byFile = map[string]*barState{}
	}
	key := ev.Repo + "\x00" + ev.File
	b := r.byFile[key]
	if b == nil {
		b = &barState{file: ev.File, start: r.now(), startBytes: max(ev.Bytes, 0)}
		r.byFile[key] = b
		r.bars = append(r.bars, b)
	}
	if ev.Bytes >= 0 {
		b.bytes = ev.Bytes
	}
	b.total = ev.Total
	switch ev.Kind {
	case ProgressStart:
		b.start, b.startBytes, b.done, b.failed = r.now(), max(ev.Bytes, 0), false, false
	case ProgressDone:
		b.done = true
	case ProgressFailed:
		b.failed = true
	case ProgressRetry:
		b.retryReason = "retrying"
		if b.bytes < b.startBytes { // started over
			b.start, b.startBytes = r.now(), b.bytes
		}
	case ProgressBytes:
		b.retryReason = ""
	}
	now := r.now()
	if ev.Kind == ProgressBytes && now.Sub(r.lastDraw) < 100*time.Millisecond {
		return
	}
	r.lastDraw = now
	r.draw(now)
}

func (r *renderer) draw(now time.Time) {
	var sb strings.Builder
	if r.drawn > 0 {
		fmt.Fprintf(&sb, "\x1b[%dA", r.drawn)
	}
	for _, b := range r.bars[r.frozen:] {
		sb.WriteString("\r\x1b[2K")
		sb.WriteString(r.line(b, now))
		sb.WriteString("\n")
	}
	// Finished bars at the top are left alone from now on, so the region
	// redrawn (and the cursor movement) stays as small as the active set
	// and never needs to climb past the top of the screen.
	for r.frozen < len(r.bars) && (r.bars[r.frozen].done || r.bars[r.frozen].failed) {
		r.frozen++
	}
	r.drawn = len(r.bars) - r.frozen
	io.WriteString(r.w, sb.String())
}

// line renders "name  42% [=====>    ] 12.0 MB/1.2 GB  30.1 MB/s  ETA 0:39".
func (r *renderer) line(b *barState, now time.Time) string {
	name := b.file
	const nameW = 28
	if len([]rune(name)) > nameW {
		rs := []rune(name)
		name = "…" + string(rs[len(rs)-nameW+1:])
	}
	elapsed := now.Sub(b.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(b.bytes-b.startBytes) / elapsed
	}
	var tail string
	switch {
	case b.failed:
		tail = "failed"
	case b.done:
		tail = fmt.Sprintf("%s  done", humanBytes(b.bytes))
	default:
		size := humanBytes(b.bytes)
		if b.total >= 0 {
			size += "/" + humanBytes(b.total)
		}
		tail = fmt.Sprintf("%s  %s/s", size, humanBytes(int64(rate)))
		if b.total > 0 && rate > 0 {
			tail += "  ETA " + clock(time.Duration(float64(b.total-b.bytes)/rate*float64(time.Second)))
		}
		if b.retryReason != "" {
			tail += "  " + b.retryReason
		}
	}
	pct := ""
	frac := 0.0
	if b.total > 0 {
		frac = min(float64(b.bytes)/float64(b.total), 1)
		pct = fmt.Sprintf("%3d%%", int(frac*100))
	} else if b.done {
		frac, pct = 1, "100%"
	}
	const tailW = 40 // fixed, so bars do not jump as the numbers change
	if n := len([]rune(tail)); n < tailW {
		tail += strings.Repeat(" ", tailW-n)
	}
	barW := r.width - nameW - 4 - tailW - 4
	bar := ""
	if barW >= 5 {
		fill := int(frac * float64(barW))
		bar = "[" + strings.Repeat("=", fill)
		if fill < barW {
			bar += ">" + strings.Repeat(" ", barW-fill-1)
		}
		bar += "]"
	}
	return strings.TrimRight(fmt.Sprintf("%-*s %4s %s %s", nameW, name, pct, bar, tail), " ")
}

func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v := float64(n)
	for _, u := range []string{"kB", "MB", "GB", "TB"} {
		v /= unit
		if v < unit {
			return fmt.Sprintf("%.1f %s", v, u)
		}
	}
	return fmt.Sprintf("%.1f PB", v/unit)
}

func clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
