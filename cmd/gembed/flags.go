package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/hub"
	"github.com/urfave/cli/v2"
)

// env is the environment variable of a flag: GEMBED_<FLAG>.
func env(name string) []string {
	return []string{"GEMBED_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))}
}

func modelFlag() cli.Flag {
	return &cli.StringFlag{Name: "model", Aliases: []string{"m"}, Value: embed.DefaultModel, EnvVars: env("model"),
		Usage: "Hugging Face model id (ORG/NAME) or local model folder"}
}

// hubFlags select and fetch a model from the Hub.
func hubFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "revision", EnvVars: env("revision"), DefaultText: "main", Usage: "Hub revision: branch, tag or commit"},
		&cli.StringFlag{Name: "cache-dir", EnvVars: env("cache-dir"), Usage: "Hugging Face cache folder (default $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)"},
		&cli.StringFlag{Name: "token", EnvVars: env("token"), Usage: "Hub access token (default $HF_TOKEN or the token file)"},
		&cli.BoolFlag{Name: "offline", EnvVars: env("offline"), Usage: "no network: use the cache only (also HF_HUB_OFFLINE=1)"},
	}
}

// hubClient is hub.NewClient adjusted by the hub flags, with download
// progress bars on stderr when it is a terminal.
func hubClient(c *cli.Context) *hub.Client {
	hc := hub.NewClient()
	if v := c.String("cache-dir"); v != "" {
		hc.CacheDir = v
	}
	if v := c.String("token"); v != "" {
		hc.Token = v
	}
	if c.Bool("offline") {
		hc.Offline = true
	}
	hc.Progress = hub.TerminalProgress(c.App.ErrWriter)
	return hc
}

// resolveModel returns the local folder of the --model flag (or arg).
func resolveModel(c *cli.Context, id string) (string, error) {
	return hubClient(c).Resolve(c.Context, id, c.String("revision"))
}

// modelOptionFlags tune how texts become vectors.
func modelOptionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "dimensions", EnvVars: env("dimensions"), DefaultText: "all", Usage: "keep the first N values of each vector, renormalized (Matryoshka)"},
		&cli.IntFlag{Name: "max-length", EnvVars: env("max-length"), DefaultText: strconv.Itoa(embed.DefaultMaxLength), Usage: "maximum tokens per input, prompt included"},
		&cli.BoolFlag{Name: "no-truncate", EnvVars: env("no-truncate"), Usage: "fail on an input longer than --max-length instead of truncating it"},
		&cli.BoolFlag{Name: "no-normalize", EnvVars: env("no-normalize"), Usage: "do not L2-normalize the vectors"},
		&cli.IntFlag{Name: "batch-tokens", EnvVars: env("batch-tokens"), DefaultText: strconv.Itoa(embed.DefaultBatchTokens), Usage: "padded tokens per forward sub-batch (bounds memory)"},
		&cli.IntFlag{Name: "threads", EnvVars: env("threads"), DefaultText: "all", Usage: "cores to use"},
		&cli.StringFlag{Name: "dtype", Value: "float32", EnvVars: env("dtype"),
			Usage: "float32 (exact) or bfloat16 (projection weights kept in bf16: half their memory, ~1e-5 of cosine)"},
	}
}

// checkLengthFlags applies the rule every command shares: --dimensions and
// --max-length, when given, are positive (leave a flag out for its
// default); the library's own range checks follow.
func checkLengthFlags(c *cli.Context) error {
	for _, name := range []string{"dimensions", "max-length"} {
		if c.IsSet(name) && c.Int(name) < 1 {
			return fmt.Errorf("--%s %d: want a positive number (leave the flag out for the default)", name, c.Int(name))
		}
	}
	return nil
}

// loadEmbedder builds an Embedder for model from the option flags.
func loadEmbedder(c *cli.Context, model string, extra ...embed.Option) (*embed.Embedder, error) {
	if err := checkLengthFlags(c); err != nil {
		return nil, err
	}
	opts := []embed.Option{embed.WithHubClient(hubClient(c)), embed.WithRevision(c.String("revision"))}
	if c.IsSet("dimensions") {
		opts = append(opts, embed.WithDimensions(c.Int("dimensions")))
	}
	if c.IsSet("max-length") {
		opts = append(opts, embed.WithMaxLength(c.Int("max-length")))
	}
	if c.Bool("no-truncate") {
		opts = append(opts, embed.WithNoTruncate(true))
	}
	if c.Bool("no-normalize") {
		opts = append(opts, embed.WithNormalize(false))
	}
	if c.IsSet("batch-tokens") {
		opts = append(opts, embed.WithBatchTokens(c.Int("batch-tokens")))
	}
	if c.IsSet("threads") {
		opts = append(opts, embed.WithThreads(c.Int("threads")))
	}
	dt, err := embed.ParseDType(c.String("dtype"))
	if err != nil {
		return nil, fmt.Errorf("--dtype: %w", err)
	}
	opts = append(opts, embed.WithDType(dt))
	opts = append(opts, extra...)
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	e, err := embed.NewContext(ctx, model, opts...)
	var oe *embed.OptionError
	if errors.As(err, &oe) {
		return nil, fmt.Errorf("--%s %d: want %s", oe.Option, oe.Value, oe.Want)
	}
	return e, err
}

// isTerminal reports whether w is a terminal (for progress bars).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
