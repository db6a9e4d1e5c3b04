package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxListingBytes bounds the listing JSON we are willing to read.
const maxListingBytes = 64 << 20

// fileMeta is what a HEAD on the resolve endpoint tells about one file.
type fileMeta struct {
	Commit   string // X-Repo-Commit
	ETag     string // X-Linked-Etag, else ETag; quotes and W/ stripped
	Size     int64  // X-Linked-Size, else Content-Length; -1 unknown
	Location string // where to GET the bytes (the CDN for LFS files)
}

func (c *Client) endpointURL() (*url.URL, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("hub: invalid endpoint %q (HF_ENDPOINT): want http(s)://host", c.Endpoint)
	}
	return u, nil
}

// resolveURL is ENDPOINT/REPO/resolve/REVISION/PATH with the revision and
// each path component escaped ("refs/pr/1" becomes "refs%2Fpr%2F1").
func (c *Client) resolveURL(repoID, revision, name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return c.Endpoint + "/" + repoID + "/resolve/" + url.PathEscape(revision) + "/" + strings.Join(parts, "/")
}

func (c *Client) listingURL(repoID, revision string) string {
	return c.Endpoint + "/api/models/" + repoID + "/revision/" + url.PathEscape(revision)
}

// newRequest sets the user agent and, for the Hub's own host only, the token:
// the CDN gets signed URLs and never sees the token.
func (c *Client) newRequest(ctx context.Context, method, rawURL string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("hub: request %s: %w", rawURL, err)
	}
	req.Header.Set("User-Agent", c.userAgent())
	// identity: sizes and checksums are of the stored bytes, and Go would
	// otherwise ask for gzip and hide Content-Length.
	req.Header.Set("Accept-Encoding", "identity")
	if c.Token != "" {
		if ep, err := c.endpointURL(); err == nil && strings.EqualFold(ep.Host, req.URL.Host) {
			req.Header.Set("Authorization", "Bearer "+c.Token)
		}
	}
	return req, nil
}

// noRedirectClient is the configured client with redirects left to us.
func (c *Client) noRedirectClient() *http.Client {
	hc := *c.httpClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// headMeta asks the resolve endpoint about one file. Redirects to the same
// host (a renamed repo, the resolve cache) are followed; a redirect to
// another host (the CDN of an LFS file) is not: its Location is where the
// bytes are, and the metadata headers are on the redirect itself.
func (c *Client) headMeta(ctx context.Context, repoID, revision, name string) (fileMeta, error) {
	var meta fileMeta
	err := c.withRetries(ctx, func() (bool, error) {
		actx, cancel := context.WithTimeout(ctx, c.metadataTimeout())
		defer cancel()
		var err error
		meta, err = c.headMetaOnce(actx, repoID, revision, name)
		return false, c.timeoutError(ctx, actx, err, "HEAD "+name)
	})
	return meta, err
}

func (c *Client) headMetaOnce(ctx context.Context, repoID, revision, name string) (fileMeta, error) {
	hc := c.noRedirectClient()
	target := c.resolveURL(repoID, revision, name)
	for hop := 0; ; hop++ {
		if hop > 10 {
			return fileMeta{}, fmt.Errorf("hub: too many redirects resolving %s in %q", name, repoID)
		}
		req, err := c.newRequest(ctx, http.MethodHead, target)
		if err != nil {
			return fileMeta{}, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return fileMeta{}, fmt.Errorf("hub: HEAD %s: %w", name, err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			return fileMeta{}, newHTTPError(resp, repoID, revision, name, c.Token != "")
		}
		var loc *url.URL
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			if l := resp.Header.Get("Location"); l != "" {
				loc, err = req.URL.Parse(l)
				if err != nil {
					return fileMeta{}, fmt.Errorf("hub: %s in %q: bad redirect %q: %w", name, repoID, l, err)
				}
				if strings.EqualFold(loc.Host, req.URL.Host) && loc.Scheme == req.URL.Scheme {
					target = loc.String()
					continue
				}
			}
		}
		meta := fileMeta{
			Commit: resp.Header.Get("X-Repo-Commit"),
			ETag:   normalizeETag(firstHeader(resp.Header, "X-Linked-Etag", "ETag")),
			Size:   -1,
		}
		if s := firstHeader(resp.Header, "X-Linked-Size", "Content-Length"); s != "" {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
				meta.Size = n
			}
		}
		if loc != nil {
			meta.Location = loc.String()
		} else {
			meta.Location = req.URL.String()
		}
		if meta.Commit == "" || meta.ETag == "" {
			return fileMeta{}, fmt.Errorf("hub: %s in %q: the server at %s sent no X-Repo-Commit or ETag; is HF_ENDPOINT a Hugging Face Hub?", name, repoID, c.Endpoint)
		}
		if err := validateBlobName(meta.ETag); err != nil {
			return fileMeta{}, fmt.Errorf("hub: %s in %q: %w", name, repoID, err)
		}
		return meta, nil
	}
}

func firstHeader(h http.Header, keys ...string) string {
	for _, k := range keys {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// Listing is a repo's file list at one commit, from
// /api/models/REPO/revision/REVISION.
type Listing struct {
	Commit string   // the "sha" field
	Files  []string // siblings[].rfilename, each checked with ValidateRepoPath
}

// ParseListing decodes the model-info JSON of the Hub API. It refuses a
// commit that is not a 40-hex hash and any file name that could escape the
// snapshot folder: a well-behaved Hub never sends one, so one means the
// server is not to be trusted.
func ParseListing(data []byte) (Listing, error) {
	var raw struct {
		SHA      string `json:"sha"`
		Siblings []struct {
			RFilename string `json:"rfilename"`
		} `json:"siblings"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return Listing{}, fmt.Errorf("hub: listing: %w", err)
	}
	if !IsCommitHash(raw.SHA) {
		return Listing{}, fmt.Errorf("hub: listing: %q is not a commit hash", raw.SHA)
	}
	l := Listing{Commit: raw.SHA, Files: make([]string, 0, len(raw.Siblings))}
	for _, s := range raw.Siblings {
		if err := ValidateRepoPath(s.RFilename); err != nil {
			return Listing{}, fmt.Errorf("hub: listing: %w: %w", ErrUnsafeName, err)
		}
		l.Files = append(l.Files, s.RFilename)
	}
	return l, nil
}

// list fetches the file list of repoID at revision.
func (c *Client) list(ctx context.Context, repoID, revision string) (Listing, error) {
	var l Listing
	err := c.withRetries(ctx, func() (bool, error) {
		actx, cancel := context.WithTimeout(ctx, c.metadataTimeout())
		defer cancel()
		var err error
		l, err = c.listOnce(actx, repoID, revision)
		return false, c.timeoutError(ctx, actx, err, "listing "+repoID)
	})
	return l, err
}

func (c *Client) listOnce(ctx context.Context, repoID, revision string) (Listing, error) {
	var l Listing
	err := func() error {
		req, err := c.newRequest(ctx, http.MethodGet, c.listingURL(repoID, revision))
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := c.httpClient().Do(req)
		if err != nil {
			return fmt.Errorf("hub: listing %q: %w", repoID, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return newHTTPError(resp, repoID, revision, "", c.Token != "")
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxListingBytes))
		if err != nil {
			return fmt.Errorf("hub: listing %q: %w", repoID, err)
		}
		l, err = ParseListing(data)
		if err != nil {
			return fmt.Errorf("hub: %q at %q: %w", repoID, revision, permanent(err))
		}
		return nil
	}()
	return l, err
}

// errTimeout marks a request that got no answer in time; it is retried, and
// counts as the Hub being unreachable.
var errTimeout = errors.New("timed out")

// timeoutError turns the expiry of an attempt's own deadline (not the
// caller's) into a retryable errTimeout.
func (c *Client) timeoutError(parent, attempt context.Context, err error, what string) error {
	if err == nil || parent.Err() != nil || attempt.Err() == nil {
		return err
	}
	return fmt.Errorf("hub: %s: no answer within %s (%v): %w", what, c.metadataTimeout(), err, errTimeout)
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

func permanent(err error) error { return permanentError{err} }

// retryable tells transient failures (cut connections, 429, 5xx) from
// answers that will not change.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var p permanentError
	if errors.As(err, &p) {
		return false
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.retryable()
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false
	}
	var ue *url.Error
	if errors.As(err, &ue) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrChecksum) || errors.As(err, new(net.Error)) {
		return true
	}
	return errors.Is(err, errRetry) || errors.Is(err, errTimeout)
}

// errRetry marks a condition (a wrong Content-Range, a short body) worth
// another attempt.
var errRetry = errors.New("retry")

// isNetworkError reports a failure to reach the server at all, the case in
// which a complete cached snapshot may be used instead.
func isNetworkError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return false
	}
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, errTimeout)
}

// withRetries runs attempt until it succeeds, fails for good, or the retry
// budget is spent. An attempt that reports progress does not use up the
// budget (a long download cut several times keeps resuming).
func (c *Client) withRetries(ctx context.Context, attempt func() (progress bool, err error)) error {
	failures := 0
	for {
		progress, err := attempt()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		if !retryable(err) {
			return err
		}
		if progress && !errors.Is(err, ErrChecksum) {
			failures = 0
		} else {
			failures++
		}
		if failures > c.retries() {
			return err
		}
		wait := c.pause(max(failures, 1))
		var he *HTTPError
		if errors.As(err, &he) && he.retryAfter > 0 {
			wait = max(wait, min(he.retryAfter, time.Minute))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (%w)", ctx.Err(), err)
		case <-time.After(wait):
		}
	}
}
