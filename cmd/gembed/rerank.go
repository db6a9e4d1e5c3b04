package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/rerank"
)

func rerankCommand() *cli.Command {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Required: true, EnvVars: env("rerank-model"),
			Usage: "reranker: Hugging Face model id (ORG/NAME) or local folder of a cross-encoder or Qwen3-Reranker"},
		&cli.StringFlag{Name: "query", Aliases: []string{"q"}, EnvVars: env("query"), Usage: "the query the documents are scored against"},
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", EnvVars: env("format"),
			Usage: `"jsonl": {"query", "text"} lines on stdin, {"score"} lines out in input order; "text": documents ranked, human-readable`},
		&cli.BoolFlag{Name: "raw-scores", EnvVars: env("raw-scores"), Usage: "logits instead of scores (Qwen3-Reranker: logit(yes) − logit(no))"},
		&cli.StringFlag{Name: "instruction", EnvVars: env("instruction"), Usage: "task of an instruction-following reranker (Qwen3-Reranker; default its model card's)"},
		&cli.IntFlag{Name: "max-length", EnvVars: env("max-length"), DefaultText: "the model's", Usage: "maximum tokens per (query, document) pair, prompt included"},
		&cli.BoolFlag{Name: "no-truncate", EnvVars: env("no-truncate"), Usage: "fail on a pair longer than --max-length instead of truncating it"},
		&cli.IntFlag{Name: "batch-tokens", EnvVars: env("batch-tokens"), DefaultText: "8192", Usage: "padded tokens per forward sub-batch (bounds memory)"},
		&cli.IntFlag{Name: "threads", EnvVars: env("threads"), DefaultText: "all", Usage: "cores to use"},
	}
	flags = append(flags, hubFlags()...)
	return &cli.Command{
		Name:      "rerank",
		Usage:     "score documents against a query with a reranker (cross-encoder or Qwen3-Reranker)",
		ArgsUsage: "[DOCUMENT...]",
		Description: "With --query, documents come from the arguments, else one per stdin line; they are printed\n" +
			"best first. With --format jsonl, stdin holds {\"query\", \"text\"} lines and stdout one {\"score\"}\n" +
			"line per input, in input order. Pairs longer than --max-length are truncated (a warning on\n" +
			"stderr) unless --no-truncate.",
		Flags:  flags,
		Action: runRerank,
	}
}

// pairLine is one JSONL input of gembed rerank.
type pairLine struct {
	Query *string `json:"query"`
	Text  *string `json:"text"`
}

func parsePairLine(b []byte) (rerank.Pair, bool, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return rerank.Pair{}, false, nil
	}
	if !json.Valid(b) || b[0] != '{' {
		return rerank.Pair{}, false, errors.New(`want a JSON object like {"query": "...", "text": "..."}`)
	}
	var p pairLine
	if err := json.Unmarshal(b, &p); err != nil {
		return rerank.Pair{}, false, fmt.Errorf(`fields "query" and "text" must be strings: %v`, err)
	}
	switch {
	case p.Query == nil:
		return rerank.Pair{}, false, errors.New(`no "query" string field`)
	case p.Text == nil:
		return rerank.Pair{}, false, errors.New(`no "text" string field`)
	}
	return rerank.Pair{Query: *p.Query, Document: *p.Text}, true, nil
}

func readPairs(r io.Reader) (pairs []rerank.Pair, lines []int, err error) {
	lr := newLineReader(r)
	for {
		b, err := lr.next()
		if errors.Is(err, io.EOF) {
			return pairs, lines, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading stdin after line %d: %w", lr.line, err)
		}
		p, ok, err := parsePairLine(b)
		if err != nil {
			return nil, nil, fmt.Errorf("stdin line %d: %w", lr.line, err)
		}
		if ok {
			pairs = append(pairs, p)
			lines = append(lines, lr.line)
		}
	}
}

func runRerank(c *cli.Context) error {
	for _, name := range []string{"max-length", "batch-tokens"} {
		if c.IsSet(name) && c.Int(name) < 1 {
			return fmt.Errorf("--%s %d: want a positive number (leave the flag out for the default)", name, c.Int(name))
		}
	}
	if c.IsSet("threads") && c.Int("threads") < 0 {
		return fmt.Errorf("--threads %d: want 0 (all cores) or more", c.Int("threads"))
	}
	var (
		pairs []rerank.Pair
		lines []int // input line numbers, for messages (nil: arguments)
	)
	format := c.String("format")
	switch format {
	case "jsonl":
		if c.NArg() > 0 {
			return fmt.Errorf("--format jsonl reads stdin; got arguments (%q...)", c.Args().First())
		}
		if c.IsSet("query") {
			return errors.New(`--format jsonl takes the query from each line's "query"; leave out --query`)
		}
		var err error
		if pairs, lines, err = readPairs(c.App.Reader); err != nil {
			return err
		}
	case "text":
		if !c.IsSet("query") {
			return errors.New("give --query Q (and documents as arguments or stdin lines), or --format jsonl")
		}
		docs := c.Args().Slice()
		if len(docs) == 0 {
			if isTerminal(c.App.Reader) {
				return errors.New("give documents as arguments, or one per line on stdin")
			}
			var err error
			if docs, err = readPlainLines(c.App.Reader); err != nil {
				return err
			}
			lines = make([]int, len(docs))
			for i := range lines {
				lines[i] = i + 1
			}
		}
		for _, d := range docs {
			pairs = append(pairs, rerank.Pair{Query: c.String("query"), Document: d})
		}
	default:
		return fmt.Errorf("--format %q: want jsonl or text", format)
	}
	opts := []embed.Option{embed.WithHubClient(hubClient(c)), embed.WithRevision(c.String("revision"))}
	if c.IsSet("max-length") {
		opts = append(opts, embed.WithMaxLength(c.Int("max-length")))
	}
	if c.Bool("no-truncate") {
		opts = append(opts, embed.WithNoTruncate(true))
	}
	if c.IsSet("batch-tokens") {
		opts = append(opts, embed.WithBatchTokens(c.Int("batch-tokens")))
	}
	if c.IsSet("threads") {
		opts = append(opts, embed.WithThreads(c.Int("threads")))
	}
	if v := c.String("instruction"); v != "" {
		opts = append(opts, embed.WithInstruction(v))
	}
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	r, err := rerank.NewContext(ctx, c.String("model"), opts...)
	if err != nil {
		return err
	}
	defer r.Close()
	where := func(i int) string {
		if lines != nil {
			return "line " + strconv.Itoa(lines[i])
		}
		return "argument " + strconv.Itoa(i+1)
	}
	s, err := r.ScorePairs(ctx, pairs, rerank.Options{RawScores: c.Bool("raw-scores")})
	var tl *embed.TooLongError
	if errors.As(err, &tl) {
		return fmt.Errorf("%s: the pair has %d tokens, more than the maximum length %d (--no-truncate)", where(tl.Index), tl.Tokens, tl.Max)
	}
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(c.App.Writer, 1<<16)
	if format == "jsonl" {
		for _, v := range s.Scores {
			b, _ := json.Marshal(struct {
				Score float32 `json:"score"`
			}{v})
			out.Write(append(b, '\n'))
		}
	} else {
		for rank, res := range s.Ranked() {
			fmt.Fprintf(out, "%d. %.6f  [%d] %s\n", rank+1, res.Score, res.Index, pairs[res.Index].Document)
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing stdout: %w", err)
	}
	var truncated []string
	for _, i := range s.Truncated() {
		truncated = append(truncated, fmt.Sprintf("%s (%d tokens)", where(i), s.Inputs[i].OriginalTokens))
	}
	warnTruncated(c.App.ErrWriter, truncated, r.Info().MaxLength)
	return nil
}

// loadServedReranker loads the --model of gembed serve as a reranker when
// its folder is one (nil, nil when it is an embedding model), so that one
// serve command serves either kind.
func loadServedReranker(c *cli.Context, model string, log *slog.Logger) (*rerank.Reranker, error) {
	start := time.Now()
	dir, err := resolveModel(c, model)
	if err != nil {
		return nil, err
	}
	kind, err := rerank.DetectDir(dir)
	if err != nil || kind == rerank.NotReranker {
		return nil, err
	}
	// The server decides truncation per request; the reranker truncates.
	opts := []embed.Option{embed.WithHubClient(hubClient(c)), embed.WithRevision(c.String("revision"))}
	if c.IsSet("max-length") {
		opts = append(opts, embed.WithMaxLength(c.Int("max-length")))
	}
	if c.IsSet("threads") {
		opts = append(opts, embed.WithThreads(c.Int("threads")))
	}
	r, err := rerank.NewContext(c.Context, model, opts...)
	if err != nil {
		return nil, err
	}
	i := r.Info()
	log.Info("model loaded", "model", model, "dir", i.Dir, "kind", i.Kind.String(), "architecture", i.ModelType,
		"head", i.HeadClass, "max_length", i.MaxLength, "seconds", time.Since(start).Seconds())
	return r, nil
}
