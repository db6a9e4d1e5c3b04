package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gembed-dev/gembed/embed"
	"github.com/urfave/cli/v2"
)

// chunkTexts is how many inputs go to one EmbedDetailed call: output
// streams out chunk by chunk, keeping memory bounded for long inputs.
const chunkTexts = 512

func embedCommand() *cli.Command {
	flags := []cli.Flag{
		modelFlag(),
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", EnvVars: env("format"),
			Usage: `"jsonl": {"text": ..., "id"?: ...} lines on stdin, {"id"?, "embedding": [...]} lines out; "json": one JSON array; "text": human-readable`},
		&cli.StringFlag{Name: "prompt-name", EnvVars: env("prompt-name"), Usage: `prompt of config_sentence_transformers.json to prepend (e.g. "query")`},
		&cli.StringFlag{Name: "prompt", EnvVars: env("prompt"), Usage: `free text to prepend to every input (sentence-transformers' prompt=), e.g. "query: "`},
		&cli.StringFlag{Name: "instruction", EnvVars: env("instruction"), Usage: `query task: inputs become "Instruct: TASK\nQuery:" + text`},
		&cli.StringFlag{Name: "precision", Value: "float32", EnvVars: env("precision"), Usage: "float32, or int8, uint8, binary, ubinary as sentence-transformers' quantize_embeddings (int8/uint8 ranges come from all inputs of the run)"},
		&cli.BoolFlag{Name: "no-progress", EnvVars: env("no-progress"), Usage: "no progress bar on stderr"},
		&cli.StringFlag{Name: "shard", EnvVars: env("shard"), Usage: `INDEX/COUNT: with --format jsonl, embed only input lines INDEX+1, INDEX+1+COUNT, ... (a Kubernetes Indexed Job's share); output lines then carry "line"`},
	}
	flags = append(flags, modelOptionFlags()...)
	flags = append(flags, hubFlags()...)
	return &cli.Command{
		Name:      "embed",
		Usage:     "embed texts (arguments, stdin lines, or JSONL with --format jsonl)",
		ArgsUsage: "[TEXT...]",
		Description: "Without --format jsonl, texts come from the arguments, else one per stdin line.\n" +
			"Inputs longer than --max-length are truncated (a warning on stderr) unless --no-truncate.\n" +
			"Every input is tokenized and checked before the first vector is written: an input error\n" +
			"leaves stdout empty. Only a failure of the model itself can stop a run midway.",
		Flags:  flags,
		Action: runEmbed,
	}
}

// embedInputs reads the inputs of `gembed embed` by its format.
func embedInputs(c *cli.Context, format string) ([]jsonlInput, bool, error) {
	switch format {
	case "jsonl":
		if c.NArg() > 0 {
			return nil, true, fmt.Errorf("--format jsonl reads stdin; got arguments (%q...)", c.Args().First())
		}
		ins, err := readTexts(c.App.Reader)
		return ins, true, err
	case "json", "text":
		if c.NArg() > 0 {
			ins := make([]jsonlInput, c.NArg())
			for i, t := range c.Args().Slice() {
				ins[i] = jsonlInput{text: t}
			}
			return ins, false, nil
		}
		if isTerminal(c.App.Reader) {
			return nil, false, errors.New("give texts as arguments, or one per line on stdin (or JSON lines with --format jsonl)")
		}
		texts, err := readPlainLines(c.App.Reader)
		ins := make([]jsonlInput, len(texts))
		for i, t := range texts {
			ins[i] = jsonlInput{text: t, line: i + 1}
		}
		return ins, true, err
	}
	return nil, false, fmt.Errorf("--format %q: want jsonl, json or text", format)
}

func runEmbed(c *cli.Context) error {
	format := c.String("format")
	sh, err := parseShard(c.String("shard"))
	if err != nil {
		return err
	}
	if sh.count > 0 && format != "jsonl" {
		return fmt.Errorf("--shard needs --format jsonl (its output lines carry the input line number)")
	}
	ins, fromLines, err := embedInputs(c, format)
	if err != nil {
		return err
	}
	ins = sh.filter(ins)
	texts := make([]string, len(ins))
	for i, in := range ins {
		texts[i] = in.text
	}
	opt := embed.EmbedOptions{PromptName: c.String("prompt-name"), Instruction: c.String("instruction"), Prompt: c.String("prompt")}
	if err := promptFlagsError(embed.CheckPromptOptions(opt)); err != nil {
		return err
	}
	precision, err := embed.ParsePrecision(c.String("precision"))
	if err != nil {
		return fmt.Errorf("--%w", err)
	}
	if err := checkLengthFlags(c); err != nil {
		return err
	}
	e, err := loadEmbedder(c, c.String("model"))
	if err != nil {
		return err
	}
	defer e.Close()
	where := func(i int) string {
		if fromLines {
			return "line " + strconv.Itoa(ins[i].line)
		}
		return "argument " + strconv.Itoa(i+1)
	}
	// Tokenize everything first: a too-long input (--no-truncate) or an
	// unknown prompt name is reported before any output, never after
	// half a document.
	if _, err := e.Tokenize(c.Context, texts, opt); err != nil {
		var tl *embed.TooLongError
		if errors.As(err, &tl) {
			return fmt.Errorf("%s: input has %d tokens, more than the maximum length %d (--no-truncate)", where(tl.Index), tl.Tokens, tl.Max)
		}
		var up *embed.UnknownPromptError
		if errors.As(err, &up) {
			return fmt.Errorf("--prompt-name: %w", err)
		}
		return err
	}
	if (precision == embed.PrecisionInt8 || precision == embed.PrecisionUint8) && len(texts) < 2 {
		return fmt.Errorf("--precision %s: the ranges come from the vectors of one run, and %d input(s) have none; embed at least 2 together", precision, len(texts))
	}

	out := bufio.NewWriterSize(c.App.Writer, 1<<16)
	defer out.Flush()
	bar := newProgressBar(c.App.ErrWriter, !c.Bool("no-progress") && isTerminal(c.App.ErrWriter) && len(texts) > 1,
		"embedding", "inputs", len(texts))
	defer bar.finish()
	// int8/uint8 scale every dimension by its range over all vectors, so
	// they are written at the end; other precisions stream chunk by chunk.
	whole := precision == embed.PrecisionInt8 || precision == embed.PrecisionUint8
	var held [][]float32
	var heldStats []embed.InputStats
	var truncated []string
	wrote := 0
	write := func(vecs [][]float32, stats []embed.InputStats) error {
		codes, err := embed.Quantize(vecs, precision)
		if err != nil {
			return err
		}
		for i, v := range vecs {
			idx := wrote + i
			var value any = v
			if codes != nil {
				value = codes[i]
			}
			switch format {
			case "jsonl":
				line := 0 // merging shards needs the line; unsharded output is line for line
				if sh.count > 0 {
					line = ins[idx].line
				}
				writeEmbeddingLine(out, ins[idx].id, line, value)
			case "json":
				if idx > 0 {
					out.WriteString(",\n ")
				}
				b, _ := json.Marshal(jsonEmbedding{Index: idx, ID: ins[idx].id, Text: texts[idx], Embedding: value, Tokens: stats[i].Tokens, Truncated: stats[i].Truncated})
				out.Write(b)
			default:
				writeHuman(out, idx, texts[idx], value, len(v), stats[i])
			}
		}
		wrote += len(vecs)
		if err := out.Flush(); err != nil {
			return fmt.Errorf("writing stdout: %w", err)
		}
		return nil
	}
	if format == "json" {
		out.WriteString("[")
	}
	for start := 0; start < len(texts); start += chunkTexts {
		end := min(start+chunkTexts, len(texts))
		o := opt
		o.Progress = func(p embed.Progress) { bar.set(start + p.Done) }
		r, err := e.EmbedDetailed(c.Context, texts[start:end], o)
		if err != nil {
			return err
		}
		for i, in := range r.Inputs {
			if in.Truncated {
				truncated = append(truncated, fmt.Sprintf("%s (%d tokens)", where(start+i), in.OriginalTokens))
			}
		}
		if whole {
			held = append(held, r.Embeddings...)
			heldStats = append(heldStats, r.Inputs...)
			continue
		}
		if err := write(r.Embeddings, r.Inputs); err != nil {
			return err
		}
	}
	if whole {
		if err := write(held, heldStats); err != nil {
			return err
		}
	}
	if format == "json" {
		out.WriteString("]\n")
	}
	bar.finish()
	warnTruncated(c.App.ErrWriter, truncated, e.Info().MaxLength)
	return nil
}

// promptFlagsError names the flags of a prompt conflict.
func promptFlagsError(err error) error {
	var pc *embed.PromptConflictError
	if !errors.As(err, &pc) {
		return err
	}
	flags := make([]string, len(pc.Fields))
	for i, f := range pc.Fields {
		flags[i] = "--" + strings.ReplaceAll(f, "_", "-")
	}
	return fmt.Errorf("give one of %s, not several (which should win is not guessed)", strings.Join(flags, ", "))
}

type jsonEmbedding struct {
	Index     int             `json:"index"`
	ID        json.RawMessage `json:"id,omitempty"`
	Text      string          `json:"text"`
	Tokens    int             `json:"tokens"`
	Truncated bool            `json:"truncated,omitempty"`
	Embedding any             `json:"embedding"` // []float32, or []int when quantized
}

// writeEmbeddingLine writes {"id"?: ..., "line"?: n, "embedding": [...]}.
func writeEmbeddingLine(w io.Writer, id json.RawMessage, line int, v any) {
	b, _ := json.Marshal(struct {
		ID        json.RawMessage `json:"id,omitempty"`
		Line      int             `json:"line,omitempty"`
		Embedding any             `json:"embedding"`
	}{id, line, v})
	w.Write(b)
	w.Write([]byte{'\n'})
}

func writeHuman(w io.Writer, i int, text string, value any, dims int, in embed.InputStats) {
	preview := []rune(text)
	if len(preview) > 60 {
		preview = append(preview[:57], []rune("...")...)
	}
	note := ""
	if in.Truncated {
		note = fmt.Sprintf(", truncated from %d", in.OriginalTokens)
	}
	var shown string
	switch v := value.(type) {
	case []float32:
		shown = formatVector(v, 6)
	case []int:
		shown = formatCodes(v, 8)
	}
	fmt.Fprintf(w, "[%d] %q (%d tokens%s, %d dims)\n    %s\n", i, string(preview), in.Tokens, note, dims, shown)
}

// formatCodes shows the first n and the last 2 quantized values.
func formatCodes(v []int, n int) string {
	var parts []string
	for i, x := range v {
		if len(v) > n+3 && i == n {
			parts = append(parts, "...")
		}
		if len(v) <= n+3 || i < n || i >= len(v)-2 {
			parts = append(parts, strconv.Itoa(x))
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// formatVector shows the first n and the last 2 values.
func formatVector(v []float32, n int) string {
	var parts []string
	for i, x := range v {
		if len(v) > n+3 && i == n {
			parts = append(parts, "...")
		}
		if len(v) <= n+3 || i < n || i >= len(v)-2 {
			parts = append(parts, strconv.FormatFloat(float64(x), 'f', 6, 32))
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// warnTruncated reports truncated inputs on stderr, a few by name.
func warnTruncated(w io.Writer, which []string, max int) {
	if len(which) == 0 {
		return
	}
	const show = 3
	list := strings.Join(which[:min(show, len(which))], ", ")
	if len(which) > show {
		list += fmt.Sprintf(" and %d more", len(which)-show)
	}
	fmt.Fprintf(w, "gembed: warning: %d input(s) longer than %d tokens were truncated: %s (--max-length, --no-truncate)\n", len(which), max, list)
}
