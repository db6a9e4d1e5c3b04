package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/layers"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Embedder is what the server needs from a model; *embed.Embedder has it.
// Tests and other backends can supply their own.
type Embedder interface {
	// Tokenize applies prompts and truncation (see embed.Embedder.Tokenize).
	Tokenize(ctx context.Context, texts []string, opt embed.EmbedOptions) ([]embed.Tokenized, error)
	// EmbedTokens returns pooled, not normalized, full-size vectors.
	EmbedTokens(ctx context.Context, seqs [][]int) ([][]float32, error)
	// Info describes the model (Hidden, ID, Prompts...).
	Info() embed.Info
}

// Defaults of Options, shared with the CLI's flags.
const (
	DefaultMaxBodyBytes   = 2 << 20
	DefaultMaxInputs      = 2048
	DefaultMaxBatchTokens = embed.DefaultBatchTokens
	DefaultMaxQueueTokens = 131072
	DefaultRequestTimeout = 2 * time.Minute
)

// Options tune a Server; zero values take the defaults shown.
type Options struct {
	// ModelName is reported as "model" and is the one name requests may
	// ask for (besides the embedder's Info().ID); default Info().ID.
	ModelName      string
	MaxBodyBytes   int64         // request body limit, 413 beyond (default 2 MiB)
	MaxInputs      int           // inputs per request (default 2048, OpenAI's limit)
	MaxBatchTokens int           // tokens handed to the model at once, across requests (default embed.DefaultBatchTokens)
	MaxQueueTokens int           // tokens waiting; more gets 429 (default 131072)
	RequestTimeout time.Duration // time for one request, queueing included (default 2 minutes)
	NoTruncate     bool          // reject inputs longer than the model's max length instead of truncating
	NoNormalize    bool          // do not L2-normalize by default (TEI's "normalize" still decides per request)
	Workers        int           // concurrent model calls (default 1: the model uses all cores already)
	Logger         *slog.Logger  // default slog.Default()
	// APIKey, when set, is required as "Authorization: Bearer KEY" on every
	// route but /health, /ready and /metrics (401 otherwise).
	APIKey string
	// CORSAllowOrigins lists the origins browsers may call from ("*" for
	// any); empty: no CORS headers, browsers refuse cross-origin calls.
	CORSAllowOrigins []string
	// DefaultPromptName or DefaultPrompt apply to requests that choose no
	// prompt, prompt_name or instruction (TEI's --default-prompt-name and
	// --default-prompt). At most one may be set.
	DefaultPromptName string
	DefaultPrompt     string
	// Build names the build and kernels for /info (default: the layers
	// package's kernel names).
	Build string
	// Registry receives the metrics and is served at /metrics (default: a new registry).
	Registry *prometheus.Registry
}

func (o *Options) defaults() {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxInputs <= 0 {
		o.MaxInputs = DefaultMaxInputs
	}
	if o.MaxBatchTokens <= 0 {
		o.MaxBatchTokens = DefaultMaxBatchTokens
	}
	if o.MaxQueueTokens <= 0 {
		o.MaxQueueTokens = DefaultMaxQueueTokens
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Build == "" {
		o.Build = layers.Kernels()
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
		// A registry of our own also carries what every Go service exports.
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
}

// Server is an http.Handler serving one Embedder:
//
//	GET  /health              200 while the process is alive (liveness)
//	GET  /ready               200 once the model is loaded and while it accepts work, else 503
//	POST /v1/embeddings       OpenAI embeddings API (text or token-id inputs)
//	GET  /v1/models, /v1/models/{id}
//	POST /embed, /similarity  text-embeddings-inference (TEI)
//	POST /tokenize, /decode   TEI, for embedders exposing their tokenizer (TokenizerSource)
//	GET  /info                TEI's model info
//	POST /api/embed, /api/embeddings  Ollama's embeddings APIs
//	GET  /metrics             Prometheus metrics
//
// Requests from all clients are queued and batched together.
type Server struct {
	opt     Options
	created int64 // Unix time of New, OpenAI's "created" of the model
	mux     *http.ServeMux
	handler http.Handler
	metrics *metrics
	queue   *queue
	emb     atomic.Pointer[embedderBox]

	startOnce sync.Once
}

type embedderBox struct{ e Embedder }

// New returns a Server for e. e may be nil while the model loads: routes
// answer 503 until SetEmbedder. Call Shutdown (after http.Server.Shutdown)
// to stop the batching workers.
func New(e Embedder, opt Options) *Server {
	opt.defaults()
	s := &Server{opt: opt, mux: http.NewServeMux(), created: time.Now().Unix()}
	s.metrics = newMetrics(opt.Registry)
	s.queue = newQueue(opt.MaxQueueTokens, opt.MaxBatchTokens, s.metrics)
	s.mux.HandleFunc("/health", s.handleHealth)
	s.mux.HandleFunc("/ready", s.handleReady)
	s.mux.HandleFunc("/v1/embeddings", s.instrument("/v1/embeddings", s.handleOpenAI))
	s.mux.HandleFunc("/embeddings", s.instrument("/v1/embeddings", s.handleOpenAI))
	s.mux.HandleFunc("/embed", s.instrument("/embed", s.handleTEI))
	s.mux.HandleFunc("/similarity", s.instrument("/similarity", s.handleSimilarity))
	s.mux.HandleFunc("/tokenize", s.instrument("/tokenize", s.handleTokenize))
	s.mux.HandleFunc("/decode", s.instrument("/decode", s.handleDecode))
	s.mux.HandleFunc("/api/embed", s.instrument("/api/embed", s.handleOllamaEmbed))
	s.mux.HandleFunc("/api/embeddings", s.instrument("/api/embeddings", s.handleOllamaEmbeddings))
	s.mux.HandleFunc("/info", s.handleInfo)
	s.mux.HandleFunc("/v1/models", s.handleModels)
	s.mux.HandleFunc("/v1/models/{id...}", s.handleModel)
	s.mux.Handle("/metrics", promhttp.HandlerFor(opt.Registry, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("/v1/", s.handleOpenAINotFound)
	s.mux.HandleFunc("/", s.handleNotFound)
	s.handler = s.cors(s.auth(s.mux))
	if e != nil {
		s.SetEmbedder(e)
	}
	return s
}

// SetEmbedder makes the server ready, serving e.
func (s *Server) SetEmbedder(e Embedder) {
	s.emb.Store(&embedderBox{e})
	s.startOnce.Do(func() {
		for range s.opt.Workers {
			s.queue.startWorker(func(ctx context.Context, seqs [][]int) ([][]float32, error) {
				return s.embedder().EmbedTokens(ctx, seqs)
			})
		}
	})
}

func (s *Server) embedder() Embedder {
	if b := s.emb.Load(); b != nil {
		return b.e
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Shutdown stops taking work, finishes what is queued and stops the
// workers; when ctx ends first, the running batch is abandoned. Call it
// after http.Server.Shutdown has drained the handlers.
func (s *Server) Shutdown(ctx context.Context) error { return s.queue.shutdown(ctx) }

func (s *Server) modelName() string {
	if s.opt.ModelName != "" {
		return s.opt.ModelName
	}
	if e := s.embedder(); e != nil {
		return e.Info().ID
	}
	return ""
}

// handleHealth is liveness: the process answers. Readiness is /ready.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET"})
		return
	}
	status := "ok"
	if s.embedder() == nil {
		status = "loading"
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": status})
}

// handleReady is readiness: 200 once the model is loaded and while the
// queue takes work (not after a shutdown began).
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET"})
		return
	}
	switch {
	case s.embedder() == nil:
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "loading"})
	case s.queue.isClosed():
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
	default:
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}
}

// handleInfo answers in TEI's /info shape, plus gembed's own fields.
func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	e := s.embedder()
	if e == nil {
		writeJSON(w, http.StatusServiceUnavailable, teiError{"model is loading", "Unhealthy"})
		return
	}
	i := e.Info()
	var sha any // the snapshot folder of the Hugging Face cache is named by its commit
	if base := filepath.Base(i.Dir); len(base) == 40 && strings.Trim(base, "0123456789abcdef") == "" {
		sha = base
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"model_id": s.modelName(), "model_sha": sha, "model_dtype": "float32",
		"model_type":       map[string]any{"embedding": map[string]any{"pooling": i.Pooling}},
		"max_input_length": i.MaxLength, "max_batch_tokens": s.opt.MaxBatchTokens,
		"max_client_batch_size": s.opt.MaxInputs, "max_concurrent_requests": nil,
		"auto_truncate": !s.opt.NoTruncate, "tokenization_workers": nil,
		"version": Version, "sha": nil, "docker_label": nil,
		"prompts": i.Prompts, "default_prompt_name": i.DefaultPromptName, "default_prompt": nil,
		// gembed's own
		"architecture": i.ModelType, "model_dir": i.Dir, "dimensions": i.Dimensions, "hidden_size": i.Hidden,
		"normalize": i.Normalize, "max_queue_tokens": s.opt.MaxQueueTokens, "build": s.opt.Build,
	})
}

// Version is reported by /info; the CLI sets it to its own version.
var Version = "dev"

// handleNotFound answers unknown paths with a JSON body too, so clients
// that always parse the body get a readable error.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "no route " + r.URL.Path + " (" + routeList + ")"})
}

const routeList = "routes: POST /v1/embeddings, GET /v1/models, POST /embed, POST /similarity, POST /tokenize, POST /decode, POST /api/embed, POST /api/embeddings, GET /info, GET /health, GET /ready, GET /metrics"

// handleOpenAINotFound keeps OpenAI's error object on every /v1/ answer:
// the OpenAI clients parse it even for a wrong path.
func (s *Server) handleOpenAINotFound(w http.ResponseWriter, r *http.Request) {
	writeOpenAIError(w, &apiError{status: http.StatusNotFound, msg: "no route " + r.Method + " " + r.URL.Path + " (" + routeList + ")"})
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeOpenAIError(w, &apiError{status: http.StatusMethodNotAllowed, msg: "use GET"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []openAIModel{s.model()}})
}

// handleModel is GET /v1/models/{id}; the id may hold a slash (ORG/NAME).
func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeOpenAIError(w, &apiError{status: http.StatusMethodNotAllowed, msg: "use GET"})
		return
	}
	if aerr := s.checkModel(r.PathValue("id")); aerr != nil || r.PathValue("id") == "" {
		if aerr == nil {
			aerr = s.checkModel("\x00")
		}
		writeOpenAIError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, s.model())
}

type openAIModel struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func (s *Server) model() openAIModel {
	return openAIModel{ID: s.modelName(), Object: "model", Created: s.created, OwnedBy: "gembed"}
}

// auth requires the API key, when one is set, on every route but the
// probes and the metrics.
func (s *Server) auth(next http.Handler) http.Handler {
	if s.opt.APIKey == "" {
		return next
	}
	want := []byte("Bearer " + s.opt.APIKey)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health", "/ready", "/metrics":
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodOptions { // CORS preflight carries no credentials
			next.ServeHTTP(w, r)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gembed"`)
			aerr := &apiError{status: http.StatusUnauthorized, code: "invalid_api_key", teiType: "Unauthorized",
				msg: "missing or wrong API key: send Authorization: Bearer KEY"}
			if strings.HasPrefix(r.URL.Path, "/v1/") || r.URL.Path == "/embeddings" {
				writeOpenAIError(w, aerr)
			} else {
				writeTEIError(w, aerr)
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cors answers browsers for the allowed origins; without any, no CORS
// header is sent and browsers keep cross-origin pages out.
func (s *Server) cors(next http.Handler) http.Handler {
	if len(s.opt.CORSAllowOrigins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allowed := ""
		for _, o := range s.opt.CORSAllowOrigins {
			if o == "*" || o == origin {
				allowed = o
				break
			}
		}
		if origin != "" && allowed != "" {
			w.Header().Set("Access-Control-Allow-Origin", allowed)
			w.Header().Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
				w.Header().Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status for metrics and logs.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// requestLog collects what a handler wants logged about its request.
type requestLog struct {
	inputs, tokens, truncated int
	err                       error
}

type ctxKey struct{}

func logOf(ctx context.Context) *requestLog {
	if l, ok := ctx.Value(ctxKey{}).(*requestLog); ok {
		return l
	}
	return &requestLog{}
}

func (s *Server) instrument(route string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		lg := &requestLog{}
		s.metrics.inflight.Inc()
		h(rec, r.WithContext(context.WithValue(r.Context(), ctxKey{}, lg)))
		s.metrics.inflight.Dec()
		d := time.Since(start)
		code := rec.status
		if code == 0 {
			code = http.StatusOK
		}
		s.metrics.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
		s.metrics.duration.WithLabelValues(route).Observe(d.Seconds())
		attrs := []any{"route", route, "status", code, "duration_ms", float64(d.Microseconds()) / 1000,
			"remote", r.RemoteAddr, "inputs", lg.inputs, "tokens", lg.tokens}
		if lg.truncated > 0 {
			attrs = append(attrs, "truncated", lg.truncated)
		}
		if lg.err != nil {
			attrs = append(attrs, "error", lg.err.Error())
			s.opt.Logger.Warn("request failed", attrs...)
			return
		}
		s.opt.Logger.Info("request", attrs...)
	}
}

// writeJSON encodes v before writing the status, so a value JSON cannot
// hold (NaN) gives a 500 with a JSON error instead of an empty 200.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]string{"error": "encoding the response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// Errors of the shared path, mapped to each API's format by the handlers.
var (
	errOverloaded = errors.New("the server is overloaded: too many tokens queued, retry later")
	errShutdown   = errors.New("the server is shutting down")
	errLoading    = errors.New("the model is loading")
)
