package hub

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors; every error from this package that matches one of these
// kinds wraps it, so callers can test with errors.Is.
var (
	ErrRepoNotFound     = errors.New("repository not found")
	ErrGatedRepo        = errors.New("gated repository")
	ErrRevisionNotFound = errors.New("revision not found")
	ErrEntryNotFound    = errors.New("file not found")
	ErrUnauthorized     = errors.New("unauthorized")
	ErrForbidden        = errors.New("forbidden")
	ErrRateLimited      = errors.New("rate limited")
	ErrServer           = errors.New("server error")
	ErrNotCached        = errors.New("not in the local cache")
	ErrChecksum         = errors.New("checksum mismatch")
	ErrUnsafeName       = errors.New("unsafe file name from the server")
)

// HTTPError is a Hub answer that is not a success, explained: Error() names
// the repo (and file) and says what to do; Unwrap gives one of the sentinel
// errors above.
type HTTPError struct {
	Repo, Revision, File string
	URL                  string
	Status               int
	Code                 string // X-Error-Code
	ServerMessage        string // X-Error-Message
	kind                 error
	hint                 string
	retryAfter           time.Duration
}

func (e *HTTPError) Unwrap() error { return e.kind }

func (e *HTTPError) Error() string {
	var b strings.Builder
	b.WriteString("hub: ")
	what := fmt.Sprintf("%q", e.Repo)
	if e.File != "" {
		what = fmt.Sprintf("%s in %q", e.File, e.Repo)
	}
	switch e.kind {
	case ErrRepoNotFound:
		fmt.Fprintf(&b, "repository %q not found", e.Repo)
	case ErrGatedRepo:
		fmt.Fprintf(&b, "repository %q is gated", e.Repo)
	case ErrRevisionNotFound:
		fmt.Fprintf(&b, "revision %q not found in %q", e.Revision, e.Repo)
	case ErrEntryNotFound:
		fmt.Fprintf(&b, "file %q not found in %q at revision %q", e.File, e.Repo, e.Revision)
	case ErrUnauthorized:
		fmt.Fprintf(&b, "not authorized to read %s", what)
	case ErrForbidden:
		fmt.Fprintf(&b, "access to %s denied", what)
	case ErrRateLimited:
		fmt.Fprintf(&b, "rate limited by the Hub while fetching %s", what)
	case ErrServer:
		fmt.Fprintf(&b, "Hub server error while fetching %s", what)
	default:
		fmt.Fprintf(&b, "unexpected answer while fetching %s", what)
	}
	fmt.Fprintf(&b, " (HTTP %d", e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, ", %s", e.Code)
	}
	b.WriteString(")")
	if e.ServerMessage != "" {
		msg := e.ServerMessage
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		fmt.Fprintf(&b, ": %s", strings.ReplaceAll(msg, "\n", " "))
	}
	if e.hint != "" {
		b.WriteString("; ")
		b.WriteString(e.hint)
	}
	return b.String()
}

// retryable reports whether asking again later may succeed.
func (e *HTTPError) retryable() bool {
	return e.kind == ErrRateLimited || e.kind == ErrServer
}

// newHTTPError explains a non-success response. tokenSet tells whether the
// request carried a token, which changes the advice.
func newHTTPError(resp *http.Response, repo, revision, file string, tokenSet bool) *HTTPError {
	e := &HTTPError{
		Repo: repo, Revision: revision, File: file,
		Status:        resp.StatusCode,
		Code:          resp.Header.Get("X-Error-Code"),
		ServerMessage: resp.Header.Get("X-Error-Message"),
	}
	if resp.Request != nil && resp.Request.URL != nil {
		u := *resp.Request.URL
		u.RawQuery = "" // CDN URLs carry signatures; keep them out of messages
		e.URL = u.String()
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		e.retryAfter = time.Duration(s) * time.Second
	}
	tokenHint := "if it is private, set HF_TOKEN (or log in with `hf auth login`) to a token that can read it"
	if tokenSet {
		tokenHint = "check that the token in HF_TOKEN can read it"
	}
	switch {
	case e.Code == "RepoNotFound":
		e.kind = ErrRepoNotFound
		e.hint = "check the id; " + tokenHint
	case e.Code == "GatedRepo":
		e.kind = ErrGatedRepo
		e.hint = "accept its conditions at https://huggingface.co/" + repo + " and set HF_TOKEN to a token of that account"
	case e.Code == "RevisionNotFound":
		e.kind = ErrRevisionNotFound
		e.hint = "check the branch, tag or commit name"
	case e.Code == "EntryNotFound":
		e.kind = ErrEntryNotFound
		e.hint = "the repository does not have this file at that revision"
	case resp.StatusCode == http.StatusUnauthorized:
		e.kind = ErrUnauthorized
		if tokenSet {
			e.hint = "the token in HF_TOKEN (or the token file) is invalid or expired"
		} else {
			e.hint = "set HF_TOKEN to a Hugging Face access token"
		}
	case resp.StatusCode == http.StatusForbidden:
		e.kind = ErrForbidden
		e.hint = "the token lacks permission for this repository (a fine-grained token needs read access to it)"
	case resp.StatusCode == http.StatusNotFound:
		if file != "" {
			e.kind = ErrEntryNotFound
			e.hint = "check the repo id and revision; " + tokenHint
		} else {
			e.kind = ErrRepoNotFound
			e.hint = "check the id and revision; " + tokenHint
		}
	case resp.StatusCode == http.StatusTooManyRequests:
		e.kind = ErrRateLimited
		e.hint = "wait and retry; requests with HF_TOKEN set get a higher limit"
	case resp.StatusCode >= 500:
		e.kind = ErrServer
		e.hint = "the Hub or its CDN is having trouble; retry later"
	default:
		e.kind = fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return e
}
