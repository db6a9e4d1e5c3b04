package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gembed-dev/gembed/embed"
	"github.com/prometheus/client_golang/prometheus"
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

// Options tune a Server; zero values take the defaults shown.
type Options struct {
	ModelName      string        // reported as "model"; default: the embedder's Info().ID
	MaxBodyBytes   int64         // request body limit, 413 beyond (default 2 MiB)
	MaxInputs      int           // inputs per request (default 2048, OpenAI's limit)
	MaxBatchTokens int           // tokens handed to the model at once, across requests (default 8192)
	MaxQueueTokens int           // tokens waiting; more gets 429 (default 131072)
	RequestTimeout time.Duration // time for one request, queueing included (default 2 minutes)
	NoTruncate     bool          // reject inputs longer than the model's max length instead of truncating
	NoNormalize    bool          // do not L2-normalize by default (TEI's "normalize" still decides per request)
	Workers        int           // concurrent model calls (default 1: the model uses all cores already)
	Logger         *slog.Logger  // default slog.Default()
	// Registry receives the metrics and is served at /metrics (default: a new registry).
	Registry *prometheus.Registry
}

func (o *Options) defaults() {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 2 << 20
	}
	if o.MaxInputs <= 0 {
		o.MaxInputs = 2048
	}
	if o.MaxBatchTokens <= 0 {
		o.MaxBatchTokens = 8192
	}
	if o.MaxQueueTokens <= 0 {
		o.MaxQueueTokens = 131072
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 2 * time.Minute
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
}

// Server is an http.Handler serving one Embedder:
//
//	GET  /health         200 once the model is loaded, else 503
//	POST /v1/embeddings  OpenAI embeddings API
//	POST /embed          text-embeddings-inference (TEI) embed API
//	GET  /info, /v1/models
//	GET  /metrics        Prometheus metrics
//
// Requests from all clients are queued and batched together.
type Server struct {
	opt     Options
	mux     *http.ServeMux
	metrics *metrics
	queue   *queue
	emb     atomic.Pointer[embedderBox]
	rr      atomic.Pointer[rerankerBox] // set instead of emb for a reranking model

	startOnce sync.Once
}

type embedderBox struct{ e Embedder }

// New returns a Server for e. e may be nil while the model loads: routes
// answer 503 until SetEmbedder. Call Shutdown (after http.Server.Shutdown)
// to stop the batching workers.
func New(e Embedder, opt Options) *Server {
	opt.defaults()
	s := &Server{opt: opt, mux: http.NewServeMux()}
	s.metrics = newMetrics(opt.Registry)
	s.queue = newQueue(opt.MaxQueueTokens, opt.MaxBatchTokens, s.metrics)
	s.mux.HandleFunc("/health", s.handleHealth)
	s.mux.HandleFunc("/v1/embeddings", s.instrument("/v1/embeddings", s.handleOpenAI))
	s.mux.HandleFunc("/embeddings", s.instrument("/v1/embeddings", s.handleOpenAI))
	s.mux.HandleFunc("/embed", s.instrument("/embed", s.handleTEI))
	s.registerRerank()
	s.mux.HandleFunc("/info", s.handleInfo)
	s.mux.HandleFunc("/v1/models", s.handleModels)
	s.mux.Handle("/metrics", promhttp.HandlerFor(opt.Registry, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("/", s.handleNotFound)
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
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

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
	if r := s.reranker(); r != nil {
		return r.Info().ID
	}
	return ""
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET"})
		return
	}
	if (s.embedder() == nil && s.reranker() == nil) || s.queue.isClosed() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "loading"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	e := s.embedder()
	if rr := s.reranker(); e == nil && rr != nil {
		i := rr.Info()
		writeJSON(w, http.StatusOK, map[string]any{
			"model_id": s.modelName(), "model_type": map[string]any{"reranker": map[string]any{"kind": i.Kind.String(), "activation": i.Activation}},
			"model_dir": i.Dir, "max_input_length": i.MaxLength, "max_client_batch_size": s.opt.MaxInputs, "auto_truncate": !s.opt.NoTruncate,
		})
		return
	}
	if e == nil {
		writeJSON(w, http.StatusServiceUnavailable, teiError{"model is loading", "Unhealthy"})
		return
	}
	i := e.Info()
	writeJSON(w, http.StatusOK, map[string]any{
		"model_id": s.modelName(), "model_type": i.ModelType, "model_dir": i.Dir,
		"dimensions": i.Dimensions, "hidden_size": i.Hidden, "max_input_length": i.MaxLength,
		"pooling": i.Pooling, "normalize": i.Normalize, "prompts": i.Prompts,
		"default_prompt_name":   i.DefaultPromptName,
		"max_client_batch_size": s.opt.MaxInputs, "max_batch_tokens": s.opt.MaxBatchTokens,
		"max_queue_tokens": s.opt.MaxQueueTokens, "auto_truncate": !s.opt.NoTruncate,
	})
}

// handleNotFound answers unknown paths with a JSON body too, so clients
// that always parse the body get a readable error.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]string{
		"error": "no route " + r.URL.Path + " (routes: POST /v1/embeddings, POST /embed, POST /rerank, POST /v1/rerank, GET /health, GET /info, GET /v1/models, GET /metrics)"})
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []map[string]any{
		{"id": s.modelName(), "object": "model", "owned_by": "gembed"}}})
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
