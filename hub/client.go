package hub

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultEndpoint is the Hub used when HF_ENDPOINT is not set.
const DefaultEndpoint = "https://huggingface.co"

// Client downloads model repos into the shared Hugging Face cache. The zero
// value is not ready; use NewClient (which reads the environment) and change
// fields before the first call. A Client is safe for concurrent use.
type Client struct {
	// Endpoint is the Hub's base URL, without a trailing slash.
	Endpoint string
	// CacheDir is the hub cache folder (the one holding models--ORG--NAME).
	CacheDir string
	// Token is sent as "Authorization: Bearer" to the Endpoint host only,
	// never to the CDN a file is redirected to.
	Token string
	// Offline forbids any network request: revisions resolve through refs/
	// (or a commit hash given directly) and files must already be cached.
	Offline bool
	// HTTPClient is used for all requests (nil: http.DefaultClient). Its
	// redirect policy is overridden per request: metadata requests follow
	// only same-host redirects.
	HTTPClient *http.Client
	// Progress, if set, receives download progress. Calls are serialized.
	Progress func(ProgressEvent)
	// MaxParallel bounds how many files download at once (0: 4).
	MaxParallel int
	// MaxRetries bounds the attempts after a failed request or a cut
	// connection that made no progress (0: 5; negative: none).
	MaxRetries int
	// MetadataTimeout bounds one listing or HEAD request (0: 10s).
	MetadataTimeout time.Duration
	// StallTimeout is how long a download may go without receiving a byte
	// before the attempt is abandoned and resumed (0: 10s).
	StallTimeout time.Duration
	// UserAgent is sent with every request (empty: "gembed-hub").
	UserAgent string

	// backoff returns the pause before retry n (1-based); tests shorten it.
	backoff func(n int) time.Duration

	progressMu sync.Mutex
}

// NewClient returns a Client configured from the environment the way
// huggingface_hub reads it:
//
//   - HF_ENDPOINT: the Hub URL (default https://huggingface.co).
//   - HF_HUB_CACHE (or the older HUGGINGFACE_HUB_CACHE): the cache folder;
//     else $HF_HOME/hub; HF_HOME defaults to $XDG_CACHE_HOME/huggingface,
//     else ~/.cache/huggingface.
//   - HF_TOKEN (or the older HUGGING_FACE_HUB_TOKEN); else the token file at
//     HF_TOKEN_PATH, else $HF_HOME/token (written by `hf auth login`).
//   - HF_HUB_OFFLINE=1 (also ON/YES/TRUE): no network request at all.
//   - HF_HUB_ETAG_TIMEOUT, HF_HUB_DOWNLOAD_TIMEOUT: seconds, see
//     MetadataTimeout and StallTimeout.
func NewClient() *Client {
	home := HFHome()
	c := &Client{
		Endpoint: strings.TrimRight(DefaultEndpoint, "/"),
		CacheDir: filepath.Join(home, "hub"),
		Offline:  envTrue("HF_HUB_OFFLINE"),
	}
	if ep := strings.TrimSpace(os.Getenv("HF_ENDPOINT")); ep != "" {
		c.Endpoint = strings.TrimRight(ep, "/")
	}
	if d := os.Getenv("HF_HUB_CACHE"); d != "" {
		c.CacheDir = expandHome(d)
	} else if d := os.Getenv("HUGGINGFACE_HUB_CACHE"); d != "" {
		c.CacheDir = expandHome(d)
	}
	c.Token = tokenFromEnv(home)
	c.MetadataTimeout = envSeconds("HF_HUB_ETAG_TIMEOUT")
	c.StallTimeout = envSeconds("HF_HUB_DOWNLOAD_TIMEOUT")
	return c
}

// HFHome is $HF_HOME, else $XDG_CACHE_HOME/huggingface, else
// ~/.cache/huggingface.
func HFHome() string {
	if h := os.Getenv("HF_HOME"); h != "" {
		return expandHome(h)
	}
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(expandHome(x), "huggingface")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		home = "."
	}
	return filepath.Join(home, ".cache", "huggingface")
}

func tokenFromEnv(hfHome string) string {
	for _, k := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"} {
		if t := strings.TrimSpace(os.Getenv(k)); t != "" {
			return t
		}
	}
	p := filepath.Join(hfHome, "token")
	if tp := os.Getenv("HF_TOKEN_PATH"); tp != "" {
		p = expandHome(tp)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func envTrue(key string) bool {
	switch strings.ToUpper(strings.TrimSpace(os.Getenv(key))) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

func envSeconds(key string) time.Duration {
	v, err := strconv.ParseFloat(strings.TrimSpace(os.Getenv(key)), 64)
	if err != nil || v <= 0 || v > 86400 {
		return 0
	}
	return time.Duration(v * float64(time.Second))
}

func (c *Client) metadataTimeout() time.Duration {
	if c.MetadataTimeout > 0 {
		return c.MetadataTimeout
	}
	return 10 * time.Second
}

func (c *Client) stallTimeout() time.Duration {
	if c.StallTimeout > 0 {
		return c.StallTimeout
	}
	return 10 * time.Second
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return http.DefaultClient
}

func (c *Client) parallel() int {
	if c.MaxParallel > 0 {
		return c.MaxParallel
	}
	return 4
}

func (c *Client) retries() int {
	switch {
	case c.MaxRetries < 0:
		return 0
	case c.MaxRetries == 0:
		return 5
	}
	return c.MaxRetries
}

func (c *Client) pause(n int) time.Duration {
	if c.backoff != nil {
		return c.backoff(n)
	}
	d := 500 * time.Millisecond << min(n-1, 5)
	return min(d, 15*time.Second)
}

func (c *Client) userAgent() string {
	if c.UserAgent != "" {
		return c.UserAgent
	}
	return "gembed-hub"
}

func (c *Client) emit(ev ProgressEvent) {
	if c.Progress == nil {
		return
	}
	c.progressMu.Lock()
	defer c.progressMu.Unlock()
	c.Progress(ev)
}
