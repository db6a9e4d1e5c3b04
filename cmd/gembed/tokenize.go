package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gembed-dev/gembed/tokenizer"
	"github.com/urfave/cli/v2"
)

func tokenizeCommand() *cli.Command {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "tokenizer", Aliases: []string{"t"}, EnvVars: env("tokenizer"), Usage: "path of a tokenizer.json (instead of --model)"},
		&cli.StringFlag{Name: "model", Aliases: []string{"m"}, EnvVars: env("model"), Usage: "model id or folder whose tokenizer.json to use (default " + defaultModelName + ")"},
		&cli.BoolFlag{Name: "no-special", EnvVars: env("no-special"), Usage: "do not add special tokens (the final <|endoftext|>)"},
		&cli.IntFlag{Name: "max-length", EnvVars: env("max-length"), DefaultText: "no truncation", Usage: "truncate to N tokens (N ≥ 1), special tokens included"},
		&cli.BoolFlag{Name: "pair", EnvVars: env("pair"), Usage: `encode pairs: {"text", "pair"} lines, or arguments two by two (type ids tell them apart)`},
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, EnvVars: env("format"),
			Usage: `"jsonl" ({"text"} lines on stdin → {"ids"} lines; the default without arguments) or "text"`},
	}
	flags = append(flags, hubFlags()...)
	return &cli.Command{
		Name:      "tokenize",
		Usage:     "turn texts into token ids",
		ArgsUsage: "[TEXT...]",
		Description: `Reads JSON lines {"text": "...", "id"?: ...} on stdin and writes one line {"id"?, "ids": [...], "type_ids": [...], "tokens": [...]}` +
			"\nper input, in order (a blank line is an error); --format text reads plain lines instead, as embed does." +
			"\nTexts given as arguments are shown human-readably. --pair encodes {\"text\", \"pair\"} lines (or arguments two by two) as pairs.",
		Flags:  flags,
		Action: runTokenize,
	}
}

const defaultModelName = "Qwen/Qwen3-Embedding-0.6B"

func loadTokenizerFlag(c *cli.Context) (*tokenizer.Tokenizer, error) {
	path := c.String("tokenizer") // wins over --model
	if path == "" {
		model := c.String("model")
		if model == "" {
			model = defaultModelName
		}
		dir, err := resolveModel(c, model)
		if err != nil {
			return nil, err
		}
		return tokenizer.LoadDir(dir) // tokenizer.json, or vocab.txt / vocab.json + merges.txt
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return tokenizer.LoadDir(path)
	}
	return tokenizer.LoadFile(path)
}

type tokenizeLine struct {
	ID      json.RawMessage `json:"id,omitempty"` // the input line's "id", passed through
	IDs     []int           `json:"ids"`
	TypeIDs []int           `json:"type_ids"`
	Tokens  []string        `json:"tokens"`
}

func runTokenize(c *cli.Context) error {
	format := c.String("format")
	if format == "" {
		format = "jsonl"
		if c.NArg() > 0 {
			format = "text"
		}
	}
	if format == "json" { // GEMBED_FORMAT may be set for embed; JSON lines are JSON too
		format = "jsonl"
	}
	if format != "jsonl" && format != "text" {
		return fmt.Errorf("--format %q: want jsonl or text", format)
	}
	if err := checkLengthFlags(c); err != nil {
		return err
	}
	tok, err := loadTokenizerFlag(c)
	if err != nil {
		return err
	}
	opt := tokenizer.EncodeOptions{AddSpecialTokens: !c.Bool("no-special"), MaxLength: c.Int("max-length")}
	out := bufio.NewWriterSize(c.App.Writer, 1<<16)
	defer out.Flush()
	jsonOut := json.NewEncoder(out)
	jsonOut.SetEscapeHTML(false)

	pairs := c.Bool("pair")
	emit := func(text string, pair *string, id json.RawMessage, where string) error {
		var enc tokenizer.Encoding
		var err error
		if pair != nil {
			enc, err = tok.EncodePair(text, *pair, opt)
		} else {
			enc, err = tok.Encode(text, opt)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if format == "text" {
			fmt.Fprintf(out, "%d tokens: %v\n", len(enc.IDs), enc.IDs)
			q := make([]string, len(enc.Tokens))
			for i, t := range enc.Tokens {
				q[i] = fmt.Sprintf("%q", t)
			}
			fmt.Fprintf(out, "  %s\n", strings.Join(q, " "))
			return nil
		}
		return jsonOut.Encode(tokenizeLine{ID: id, IDs: orEmpty(enc.IDs), TypeIDs: orEmpty(enc.TypeIDs), Tokens: enc.Tokens})
	}

	if c.NArg() > 0 {
		args := c.Args().Slice()
		if pairs && len(args)%2 != 0 {
			return fmt.Errorf("--pair: %d arguments; want them two by two (text, pair)", len(args))
		}
		for i := 0; i < len(args); i++ {
			var pair *string
			where := fmt.Sprintf("argument %d", i+1)
			if pairs {
				pair = &args[i+1]
				where = fmt.Sprintf("arguments %d and %d", i+1, i+2)
			}
			if err := emit(args[i], pair, nil, where); err != nil {
				return err
			}
			if pairs {
				i++
			}
		}
		return out.Flush()
	}
	// Stream: one output line per input line as it comes.
	lr := newLineReader(c.App.Reader)
	for {
		b, err := lr.next()
		if errors.Is(err, io.EOF) {
			return out.Flush()
		}
		if err != nil {
			return fmt.Errorf("reading stdin after line %d: %w", lr.line, err)
		}
		var text string
		var pair *string
		var id json.RawMessage
		if format == "jsonl" {
			text, id, err = parseTextLine(b)
			if err == nil && pairs {
				pair, err = parsePairField(b)
			}
			if err != nil {
				out.Flush()
				return fmt.Errorf("stdin line %d: %w", lr.line, err)
			}
		} else {
			if pairs {
				out.Flush()
				return errors.New(`--pair reads JSON lines {"text", "pair"} (or arguments), not --format text on stdin`)
			}
			text = string(b)
		}
		if err := emit(text, pair, id, fmt.Sprintf("stdin line %d", lr.line)); err != nil {
			return err
		}
	}
}

func parsePairField(b []byte) (*string, error) {
	var pl struct {
		Pair *string `json:"pair"`
	}
	if err := json.Unmarshal(b, &pl); err != nil {
		return nil, fmt.Errorf(`field "pair" must be a string: %v`, err)
	}
	if pl.Pair == nil {
		return nil, errors.New(`--pair: no "pair" string field`)
	}
	return pl.Pair, nil
}

func orEmpty(ids []int) []int {
	if ids == nil {
		return []int{}
	}
	return ids
}
