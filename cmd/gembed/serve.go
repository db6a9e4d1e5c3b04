package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/server"
	"github.com/urfave/cli/v2"
)

func serveCommand() *cli.Command {
	flags := []cli.Flag{
		modelFlag(),
		&cli.StringFlag{Name: "addr", Aliases: []string{"a"}, Value: "127.0.0.1:8080", EnvVars: env("addr"), Usage: "HOST:PORT to listen on"},
		&cli.StringFlag{Name: "served-model-name", EnvVars: env("served-model-name"), Usage: `the model's name in answers, and the one "model" requests may ask for (default: the repo id)`},
		&cli.StringFlag{Name: "api-key", EnvVars: env("api-key"), Usage: "require Authorization: Bearer KEY (401 otherwise; /health, /ready, /metrics stay open)"},
		&cli.StringSliceFlag{Name: "cors-allow-origin", EnvVars: env("cors-allow-origin"), Usage: `origin browsers may call from ("*" for any; repeat for more); default: no CORS`},
		&cli.StringFlag{Name: "default-prompt-name", EnvVars: env("default-prompt-name"), Usage: "prompt name for requests that choose none"},
		&cli.StringFlag{Name: "default-prompt", EnvVars: env("default-prompt"), Usage: "prompt text for requests that choose none"},
		&cli.StringFlag{Name: "pooling", EnvVars: env("pooling"), Usage: "override the model's pooling: cls, mean or lasttoken"},
		&cli.BoolFlag{Name: "auto-truncate", Value: true, EnvVars: env("auto-truncate"), Usage: "truncate inputs longer than the maximum length (--auto-truncate=false: answer 413, as --no-truncate)"},
		&cli.Int64Flag{Name: "max-body-bytes", Value: server.DefaultMaxBodyBytes, EnvVars: env("max-body-bytes"), Usage: "request body limit (413 beyond)"},
		&cli.IntFlag{Name: "max-inputs", Value: server.DefaultMaxInputs, EnvVars: env("max-inputs"), Usage: "inputs per request"},
		&cli.IntFlag{Name: "max-batch-tokens", Value: server.DefaultMaxBatchTokens, EnvVars: env("max-batch-tokens"), Usage: "tokens per model call, across requests"},
		&cli.IntFlag{Name: "max-queue-tokens", Value: server.DefaultMaxQueueTokens, EnvVars: env("max-queue-tokens"), Usage: "queued tokens before answering 429"},
		&cli.DurationFlag{Name: "request-timeout", Value: server.DefaultRequestTimeout, EnvVars: env("request-timeout"), Usage: "time limit of one request, queueing included"},
		&cli.DurationFlag{Name: "shutdown-timeout", Value: 30 * time.Second, EnvVars: env("shutdown-timeout"), Usage: "time to drain in-flight requests on SIGTERM"},
		&cli.StringFlag{Name: "log-format", Value: "text", EnvVars: env("log-format"), Usage: `"text" or "json" (logs go to stderr)`},
		&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: env("log-level"), Usage: "debug, info, warn or error"},
	}
	flags = append(flags, modelOptionFlags()...)
	flags = append(flags, hubFlags()...)
	return &cli.Command{
		Name:      "serve",
		Usage:     "HTTP server: OpenAI /v1/embeddings, TEI /embed and /similarity, Ollama /api/embed, /health, /ready, /metrics",
		ArgsUsage: "[ID|DIR]",
		Description: "Listens at once; /health answers 200 while the process lives, /ready 503 until the model\n" +
			"is loaded, then 200. SIGTERM or SIGINT stops accepting, drains in-flight requests and exits.",
		Flags:  flags,
		Action: runServe,
	}
}

func runServe(c *cli.Context) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	var handler slog.Handler
	switch c.String("log-format") {
	case "text":
		handler = slog.NewTextHandler(c.App.ErrWriter, hopts)
	case "json":
		handler = slog.NewJSONHandler(c.App.ErrWriter, hopts)
	default:
		return fmt.Errorf("--log-format %q: want text or json", c.String("log-format"))
	}
	log := slog.New(handler)

	// Zero or negative limits would silently become the defaults.
	if c.Int64("max-body-bytes") < 1 {
		return fmt.Errorf("--max-body-bytes %d: want a positive number", c.Int64("max-body-bytes"))
	}
	for _, name := range []string{"max-inputs", "max-batch-tokens", "max-queue-tokens"} {
		if c.Int(name) < 1 {
			return fmt.Errorf("--%s %d: want a positive number", name, c.Int(name))
		}
	}
	for _, name := range []string{"request-timeout", "shutdown-timeout"} {
		if c.Duration(name) <= 0 {
			return fmt.Errorf("--%s %v: want a positive duration", name, c.Duration(name))
		}
	}

	model, err := modelArg(c)
	if err != nil {
		return err
	}
	if c.String("default-prompt-name") != "" && c.String("default-prompt") != "" {
		return errors.New("give one of --default-prompt-name, --default-prompt, not both")
	}
	var extra []embed.Option
	if p := c.String("pooling"); p != "" {
		pooling, err := embed.ParsePooling(p)
		if err != nil {
			return fmt.Errorf("--%w", err)
		}
		extra = append(extra, embed.WithPooling(pooling))
	}
	if err := checkLengthFlags(c); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(c.Context, syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	name := c.String("served-model-name")
	if name == "" {
		name = servedName(model)
	}
	server.Version = version
	srv := server.New(nil, server.Options{
		ModelName: name, MaxBodyBytes: c.Int64("max-body-bytes"), MaxInputs: c.Int("max-inputs"),
		MaxBatchTokens: c.Int("max-batch-tokens"), MaxQueueTokens: c.Int("max-queue-tokens"),
		RequestTimeout: c.Duration("request-timeout"), NoTruncate: c.Bool("no-truncate") || !c.Bool("auto-truncate"),
		NoNormalize: c.Bool("no-normalize"), Logger: log,
		APIKey: c.String("api-key"), CORSAllowOrigins: c.StringSlice("cors-allow-origin"),
		DefaultPromptName: c.String("default-prompt-name"), DefaultPrompt: c.String("default-prompt"),
		Build: buildSummary(),
	})
	ln, err := net.Listen("tcp", c.String("addr"))
	if err != nil {
		return fmt.Errorf("--addr %s: %w", c.String("addr"), err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      c.Duration("request-timeout") + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(handler, slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "model", model, "served_model_name", name)

	// The server truncates (or not) per request, so the embedder itself
	// always truncates; --no-truncate is the server's policy.
	type loadResult struct {
		e   *embed.Embedder
		err error
	}
	loaded := make(chan loadResult, 1)
	go func() {
		start := time.Now()
		e, err := loadEmbedder(c, model, append(extra, embed.WithNoTruncate(false), embed.WithNormalize(true))...)
		if err == nil && c.String("default-prompt-name") != "" {
			_, err = e.Prompt(embed.EmbedOptions{PromptName: c.String("default-prompt-name")})
			if err != nil {
				e.Close()
				err = fmt.Errorf("--default-prompt-name: %w", err)
			}
		}
		if err != nil {
			loaded <- loadResult{err: err}
			return
		}
		srv.SetEmbedder(e)
		i := e.Info()
		log.Info("model loaded", "model", model, "dir", i.Dir, "architecture", i.ModelType,
			"dimensions", i.Dimensions, "max_length", i.MaxLength, "seconds", time.Since(start).Seconds())
		loaded <- loadResult{e: e}
	}()

	var runErr error
	var emb *embed.Embedder
	select {
	case r := <-loaded:
		if r.err != nil {
			hs.Close()
			return r.err
		}
		emb = r.e
		select {
		case <-ctx.Done():
		case runErr = <-serveErr:
		}
	case <-ctx.Done():
	case runErr = <-serveErr:
	}
	if errors.Is(runErr, http.ErrServerClosed) {
		runErr = nil
	}
	log.Info("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), c.Duration("shutdown-timeout"))
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("shutdown", "error", err)
	}
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown", "error", err)
	}
	if emb != nil {
		emb.Close()
	}
	log.Info("stopped")
	return runErr
}

// servedName is the name a server reports for model: the repo id, also for
// a snapshot folder of the Hugging Face cache (models--ORG--NAME/snapshots/
// COMMIT), else the folder's base name. A filesystem path tells clients
// nothing and leaks the server's layout.
func servedName(model string) string {
	fi, err := os.Stat(model)
	if err != nil || !fi.IsDir() {
		return model // a repo id
	}
	abs, err := filepath.Abs(model)
	if err != nil {
		abs = model
	}
	parts := strings.Split(filepath.ToSlash(abs), "/")
	for i := len(parts) - 3; i >= 0; i-- {
		if parts[i+1] == "snapshots" && strings.HasPrefix(parts[i], "models--") {
			if org, name, ok := strings.Cut(strings.TrimPrefix(parts[i], "models--"), "--"); ok {
				return org + "/" + name
			}
			return strings.TrimPrefix(parts[i], "models--")
		}
	}
	return filepath.Base(abs)
}
