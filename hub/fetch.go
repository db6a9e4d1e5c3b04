package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// verifier recomputes a blob's name from its bytes: sha256 for LFS files
// (64-hex etag), the git blob sha1 ("blob SIZE\0" + bytes) for small files
// (40-hex etag, size known). Other etags are not checked.
type verifier struct {
	etag string
	size int64
	h    hash.Hash
}

func newVerifier(etag string, size int64) *verifier {
	v := &verifier{etag: etag, size: size}
	v.reset()
	return v
}

func (v *verifier) reset() {
	switch {
	case sha256HexRE.MatchString(v.etag):
		v.h = sha256.New()
	case commitHashRE.MatchString(v.etag) && v.size >= 0:
		v.h = sha1.New()
		fmt.Fprintf(v.h, "blob %d\x00", v.size)
	default:
		v.h = nil
	}
}

func (v *verifier) Write(p []byte) (int, error) {
	if v.h != nil {
		v.h.Write(p)
	}
	return len(p), nil
}

func (v *verifier) check(file string) error {
	if v.h == nil {
		return nil
	}
	if got := hex.EncodeToString(v.h.Sum(nil)); got != v.etag {
		return fmt.Errorf("hub: %s: %w: got %s, want %s", file, ErrChecksum, got, v.etag)
	}
	return nil
}

// download is one blob being fetched into blobs/ETAG.incomplete.
type download struct {
	c          *Client
	repo, file string
	url        string
	meta       fileMeta
	f          *os.File
	off        int64
	v          *verifier
	watchdog   *time.Timer
}

// fetchBlob downloads meta's bytes into dst (blobs/ETAG) through
// dst.incomplete: resuming what an earlier attempt or process left, resuming
// with Range after a cut connection, starting over when the server ignores
// Range, verifying the checksum and renaming into place only when it
// matches. The caller holds the blob's lock.
func (c *Client) fetchBlob(ctx context.Context, repoID, file string, meta fileMeta, dst string) error {
	incomplete := dst + ".incomplete"
	f, err := os.OpenFile(incomplete, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("hub: %s: %w", file, err)
	}
	d := &download{c: c, repo: repoID, file: file, url: meta.Location, meta: meta, f: f, v: newVerifier(meta.ETag, meta.Size)}
	if err := d.resumeLocal(); err != nil {
		f.Close()
		return err
	}
	c.emit(ProgressEvent{Kind: ProgressStart, Repo: repoID, File: file, Bytes: d.off, Total: meta.Size})

	err = c.withRetries(ctx, func() (bool, error) {
		before := d.off
		err := d.attempt(ctx)
		if err == nil {
			if err = d.v.check(file); err != nil {
				if terr := d.truncate(); terr != nil {
					return false, terr
				}
			}
		}
		if err != nil && retryable(err) {
			c.emit(ProgressEvent{Kind: ProgressRetry, Repo: repoID, File: file, Bytes: d.off, Total: meta.Size, Err: err})
		}
		return d.off > before, err
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, ErrChecksum) {
			// a corrupt partial file must not be resumed later
			os.Remove(incomplete)
		}
		c.emit(ProgressEvent{Kind: ProgressFailed, Repo: repoID, File: file, Bytes: d.off, Total: meta.Size, Err: err})
		return fmt.Errorf("hub: downloading %s from %q: %w", file, repoID, err)
	}
	if err := os.Rename(incomplete, dst); err != nil {
		return fmt.Errorf("hub: %s: %w", file, err)
	}
	c.emit(ProgressEvent{Kind: ProgressDone, Repo: repoID, File: file, Bytes: d.off, Total: meta.Size})
	return nil
}

// resumeLocal feeds what a previous attempt left in the .incomplete file to
// the checksum, so the download can continue where it stopped.
func (d *download) resumeLocal() error {
	fi, err := d.f.Stat()
	if err != nil {
		return fmt.Errorf("hub: %s: %w", d.file, err)
	}
	n := fi.Size()
	if n == 0 {
		return nil
	}
	if d.meta.Size >= 0 && n > d.meta.Size {
		return d.truncate()
	}
	if _, err := io.CopyN(d.v, d.f, n); err != nil {
		return d.truncate()
	}
	d.off = n
	return nil
}

func (d *download) truncate() error {
	if err := d.f.Truncate(0); err != nil {
		return fmt.Errorf("hub: %s: %w", d.file, err)
	}
	if _, err := d.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("hub: %s: %w", d.file, err)
	}
	d.off = 0
	d.v.reset()
	return nil
}

// attempt is one GET: from d.off to the end. A watchdog abandons it when no
// byte arrives for StallTimeout, so a hung connection is resumed instead of
// waited on forever.
func (d *download) attempt(parent context.Context) error {
	if d.meta.Size >= 0 && d.off == d.meta.Size {
		return nil
	}
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	stall := d.c.stallTimeout()
	d.watchdog = time.AfterFunc(stall, func() { cancel(errTimeout) })
	defer d.watchdog.Stop()
	err := d.get(ctx)
	if err != nil && parent.Err() == nil && errors.Is(context.Cause(ctx), errTimeout) {
		return fmt.Errorf("hub: %s: no data for %s at byte %d: %w", d.file, stall, d.off, errTimeout)
	}
	return err
}

func (d *download) get(ctx context.Context) error {
	req, err := d.c.newRequest(ctx, http.MethodGet, d.url)
	if err != nil {
		return permanent(err)
	}
	if d.off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", d.off))
	}
	resp, err := d.c.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("hub: GET %s: %w", d.file, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		if d.off > 0 { // the server ignored Range: start over
			if err := d.truncate(); err != nil {
				return permanent(err)
			}
		}
	case http.StatusPartialContent:
		start, ok := contentRangeStart(resp.Header.Get("Content-Range"))
		if !ok || start != d.off {
			if err := d.truncate(); err != nil {
				return permanent(err)
			}
			return fmt.Errorf("hub: %s: server answered range %q to %q: %w", d.file, resp.Header.Get("Content-Range"), req.Header.Get("Range"), errRetry)
		}
	case http.StatusRequestedRangeNotSatisfiable:
		if err := d.truncate(); err != nil {
			return permanent(err)
		}
		return fmt.Errorf("hub: %s: range not satisfiable, starting over: %w", d.file, errRetry)
	default:
		return newHTTPError(resp, d.repo, "", d.file, d.c.Token != "")
	}
	if err := d.copy(ctx, resp.Body); err != nil {
		return err
	}
	if d.meta.Size >= 0 && d.off != d.meta.Size {
		if d.off > d.meta.Size {
			if err := d.truncate(); err != nil {
				return permanent(err)
			}
			return fmt.Errorf("hub: %s: more bytes than the announced %d: %w", d.file, d.meta.Size, errRetry)
		}
		return fmt.Errorf("hub: %s: connection ended at byte %d of %d: %w", d.file, d.off, d.meta.Size, io.ErrUnexpectedEOF)
	}
	return nil
}

func (d *download) copy(ctx context.Context, body io.Reader) error {
	buf := make([]byte, 256<<10)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, err := d.f.Write(buf[:n]); err != nil {
				return permanent(fmt.Errorf("hub: writing %s: %w", d.file, err))
			}
			d.v.Write(buf[:n])
			d.off += int64(n)
			d.watchdog.Reset(d.c.stallTimeout())
			d.c.emit(ProgressEvent{Kind: ProgressBytes, Repo: d.repo, File: d.file, Bytes: d.off, Total: d.meta.Size})
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("hub: reading %s: %w", d.file, errors.Join(rerr, io.ErrUnexpectedEOF))
		}
	}
}

// contentRangeStart parses "bytes START-END/TOTAL".
func contentRangeStart(v string) (int64, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes ")
	if !ok {
		return 0, false
	}
	startS, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(startS), 10, 64)
	return n, err == nil && n >= 0
}
