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
			Usage: `"jsonl": {"text": ...} lines on stdin, {"embedding": [...]} lines out; "json": one JSON array; "text": human-readable`},
		&cli.StringFlag{Name: "prompt-name", EnvVars: env("prompt-name"), Usage: `prompt of config_sentence_transformers.json to prepend (e.g. "query")`},
		&cli.StringFlag{Name: "instruction", EnvVars: env("instruction"), Usage: `query task: inputs become "Instruct: TASK\nQuery:" + text`},
		&cli.BoolFlag{Name: "no-progress", EnvVars: env("no-progress"), Usage: "no progress bar on stderr"},
	}
	flags = append(flags, modelOptionFlags()...)
	flags = append(flags, hubFlags()...)
	return &cli.Command{
		Name:      "embed",
		Usage:     "embed texts (arguments, stdin lines, or JSONL with --format jsonl)",
		ArgsUsage: "[TEXT...]",
		Description: "Without --format jsonl, texts come from the arguments, else one per stdin line.\n" +
			"Inputs longer than --max-length are truncated (a warning on stderr) unless --no-truncate.",
		Flags:  flags,
		Action: runEmbed,
	}
}

func runEmbed(c *cli.Context) error {
	format := c.String("format")
	var texts []string
	var lines []int // input line numbers, for messages
	switch format {
	case "jsonl":
		if c.NArg() > 0 {
			return fmt.Errorf("--format jsonl reads stdin; got arguments (%q...)", c.Args().First())
		}
		var err error
		if texts, lines, err = readTexts(c.App.Reader); err != nil {
			return err
		}
	case "json", "text":
		if c.NArg() > 0 {
			texts = c.Args().Slice()
		} else {
			if isTerminal(c.App.Reader) {
				return errors.New("give texts as arguments, or one per line on stdin (or JSON lines with --format jsonl)")
			}
			var err error
			if texts, err = readPlainLines(c.App.Reader); err != nil {
				return err
			}
			lines = make([]int, len(texts))
			for i := range lines {
				lines[i] = i + 1
			}
		}
	default:
		return fmt.Errorf("--format %q: want jsonl, json or text", format)
	}
	opt := embed.EmbedOptions{PromptName: c.String("prompt-name"), Instruction: c.String("instruction")}
	e, err := loadEmbedder(c)
	if err != nil {
		return err
	}
	defer e.Close()
	if _, err := e.Prompt(opt); err != nil {
		return fmt.Errorf("--prompt-name: %w", err)
	}
	where := func(i int) string {
		if lines != nil {
			return "line " + strconv.Itoa(lines[i])
		}
		return "argument " + strconv.Itoa(i+1)
	}

	out := bufio.NewWriterSize(c.App.Writer, 1<<16)
	defer out.Flush()
	bar := newProgressBar(c.App.ErrWriter, !c.Bool("no-progress") && isTerminal(c.App.ErrWriter) && len(texts) > 1,
		"embedding", "inputs", len(texts))
	var truncated []string
	if format == "json" {
		out.WriteString("[")
	}
	for start := 0; start < len(texts); start += chunkTexts {
		end := min(start+chunkTexts, len(texts))
		o := opt
		o.Progress = func(p embed.Progress) { bar.set(start + p.Done) }
		r, err := e.EmbedDetailed(c.Context, texts[start:end], o)
		var tl *embed.TooLongError
		if errors.As(err, &tl) {
			bar.finish()
			return fmt.Errorf("%s: input has %d tokens, more than the maximum length %d (--no-truncate)", where(start+tl.Index), tl.Tokens, tl.Max)
		}
		if err != nil {
			bar.finish()
			return err
		}
		for i, v := range r.Embeddings {
			idx := start + i
			if in := r.Inputs[i]; in.Truncated {
				truncated = append(truncated, fmt.Sprintf("%s (%d tokens)", where(idx), in.OriginalTokens))
			}
			switch format {
			case "jsonl":
				writeEmbeddingLine(out, v)
			case "json":
				if idx > 0 {
					out.WriteString(",\n ")
				}
				b, _ := json.Marshal(jsonEmbedding{Index: idx, Text: texts[idx], Embedding: v, Tokens: r.Inputs[i].Tokens, Truncated: r.Inputs[i].Truncated})
				out.Write(b)
			default:
				writeHuman(out, idx, texts[idx], v, r.Inputs[i])
			}
		}
		if err := out.Flush(); err != nil {
			return fmt.Errorf("writing stdout: %w", err)
		}
	}
	if format == "json" {
		out.WriteString("]\n")
	}
	bar.finish()
	warnTruncated(c.App.ErrWriter, truncated, e.Info().MaxLength)
	return nil
}

type jsonEmbedding struct {
	Index     int       `json:"index"`
	Text      string    `json:"text"`
	Tokens    int       `json:"tokens"`
	Truncated bool      `json:"truncated,omitempty"`
	Embedding []float32 `json:"embedding"`
}

func writeEmbeddingLine(w io.Writer, v []float32) {
	b, _ := json.Marshal(struct {
		Embedding []float32 `json:"embedding"`
	}{v})
	w.Write(b)
	w.Write([]byte{'\n'})
}

func writeHuman(w io.Writer, i int, text string, v []float32, in embed.InputStats) {
	preview := []rune(text)
	if len(preview) > 60 {
		preview = append(preview[:57], []rune("...")...)
	}
	note := ""
	if in.Truncated {
		note = fmt.Sprintf(", truncated from %d", in.OriginalTokens)
	}
	fmt.Fprintf(w, "[%d] %q (%d tokens%s, %d dims)\n    %s\n", i, string(preview), in.Tokens, note, len(v), formatVector(v, 6))
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
