package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gembed-dev/gembed/embed"
	"github.com/urfave/cli/v2"
)

// The Qwen3-Embedding model card's example, used when no texts are given.
var (
	cardQueries   = []string{"What is the capital of China?", "Explain gravity"}
	cardDocuments = []string{
		"The capital of China is Beijing.",
		"Gravity is a force that attracts two bodies towards each other. It gives weight to physical objects and is responsible for the movement of planets around the sun.",
	}
)

func similarityCommand() *cli.Command {
	flags := []cli.Flag{
		modelFlag(),
		&cli.StringSliceFlag{Name: "query", Aliases: []string{"q"}, EnvVars: env("query"), Usage: "a query (repeat the flag for more)"},
		&cli.StringSliceFlag{Name: "document", Aliases: []string{"d"}, EnvVars: env("document"), Usage: "a document (repeat the flag for more)"},
		&cli.StringFlag{Name: "instruction", EnvVars: env("instruction"), Usage: `query task instead of the model's "query" prompt`},
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", EnvVars: env("format"), Usage: `"text" (the model card's layout), "table" or "json"`},
		&cli.StringFlag{Name: "similarity-fn", Value: "cosine", EnvVars: env("similarity-fn"), Usage: `"cosine" or "dot" (sentence-transformers' similarity_fn_name)`},
	}
	flags = append(flags, modelOptionFlags()...)
	flags = append(flags, hubFlags()...)
	return &cli.Command{
		Name:  "similarity",
		Usage: "cosine scores of queries (with the query prompt) × documents",
		Description: "Without --query/--document, runs the Qwen3-Embedding model card's example:\n" +
			"scores [[0.7646, 0.1414], [0.1355, 0.6000]] for Qwen/Qwen3-Embedding-0.6B.",
		Flags:  flags,
		Action: runSimilarity,
	}
}

func runSimilarity(c *cli.Context) error {
	if err := noArgs(c, "give texts with --query and --document"); err != nil {
		return err
	}
	score := embed.Cosine
	switch fn := c.String("similarity-fn"); fn {
	case "cosine":
	case "dot":
		score = embed.Dot
	default:
		return fmt.Errorf("--similarity-fn %q: want cosine or dot", fn)
	}
	queries, docs := c.StringSlice("query"), c.StringSlice("document")
	if len(queries) == 0 && len(docs) == 0 {
		queries, docs = cardQueries, cardDocuments
	}
	if len(queries) == 0 || len(docs) == 0 {
		return errors.New("give at least one --query and one --document (or neither, for the model card's example)")
	}
	format := c.String("format")
	if format == "jsonl" { // one line of JSON is JSONL too (GEMBED_FORMAT may be set for embed)
		format = "json"
	}
	if format != "text" && format != "table" && format != "json" {
		return fmt.Errorf("--format %q: want text, table or json", format)
	}
	e, err := loadEmbedder(c, c.String("model"))
	if err != nil {
		return err
	}
	defer e.Close()
	qr, err := e.EmbedDetailed(c.Context, queries, embed.EmbedOptions{Query: true, Instruction: c.String("instruction")})
	if err != nil {
		return fmt.Errorf("queries: %w", err)
	}
	dr, err := e.EmbedDetailed(c.Context, docs, embed.EmbedOptions{})
	if err != nil {
		return fmt.Errorf("documents: %w", err)
	}
	var truncated []string
	for i, in := range qr.Inputs {
		if in.Truncated {
			truncated = append(truncated, fmt.Sprintf("query %d (%d tokens)", i+1, in.OriginalTokens))
		}
	}
	for i, in := range dr.Inputs {
		if in.Truncated {
			truncated = append(truncated, fmt.Sprintf("document %d (%d tokens)", i+1, in.OriginalTokens))
		}
	}
	warnTruncated(c.App.ErrWriter, truncated, e.Info().MaxLength)
	m := embed.SimilarityFunc(qr.Embeddings, dr.Embeddings, score)
	return writeMatrix(c.App.Writer, format, m, queries, docs)
}

func writeMatrix(w io.Writer, format string, m [][]float64, queries, docs []string) error {
	switch format {
	case "json":
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "table":
		fmt.Fprintf(w, "%-40s", "")
		for j := range docs {
			fmt.Fprintf(w, "  doc %-4d", j+1)
		}
		fmt.Fprintln(w)
		for i, row := range m {
			fmt.Fprintf(w, "%-40s", clip(queries[i], 40))
			for _, x := range row {
				fmt.Fprintf(w, "  %8.4f", x)
			}
			fmt.Fprintln(w)
		}
		return nil
	}
	// As sentence-transformers prints model.similarity(...) in the model card.
	var b strings.Builder
	b.WriteString("tensor([")
	for i, row := range m {
		if i > 0 {
			b.WriteString(",\n        ")
		}
		b.WriteString("[")
		for j, x := range row {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%.4f", x)
		}
		b.WriteString("]")
	}
	b.WriteString("])\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func clip(s string, n int) string {
	r := []rune(strings.ReplaceAll(s, "\n", " "))
	if len(r) > n {
		return string(r[:n-3]) + "..."
	}
	return string(r)
}
