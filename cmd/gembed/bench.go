package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/gembed-dev/gembed/embed"
	"github.com/urfave/cli/v2"
)

func benchCommand() *cli.Command {
	flags := []cli.Flag{
		modelFlag(),
		&cli.IntFlag{Name: "texts", Value: 64, EnvVars: env("texts"), Usage: "inputs per run"},
		&cli.IntFlag{Name: "words", Value: 100, EnvVars: env("words"), Usage: "words per input (about one token each)"},
		&cli.IntFlag{Name: "runs", Value: 3, EnvVars: env("runs"), Usage: "timed runs (after one warm-up)"},
	}
	flags = append(flags, modelOptionFlags()...)
	flags = append(flags, hubFlags()...)
	return &cli.Command{
		Name:      "bench",
		Usage:     "measure embedding throughput on synthetic inputs",
		ArgsUsage: "[ID|DIR]",
		Flags:     flags,
		Action:    runBench,
	}
}

func runBench(c *cli.Context) error {
	n, words, runs := c.Int("texts"), c.Int("words"), c.Int("runs")
	if n < 1 || words < 0 || runs < 1 {
		return fmt.Errorf("--texts, --runs must be at least 1 and --words at least 0")
	}
	start := time.Now()
	model, err := modelArg(c)
	if err != nil {
		return err
	}
	e, err := loadEmbedder(c, model)
	if err != nil {
		return err
	}
	defer e.Close()
	fmt.Fprintf(c.App.Writer, "build: %s\n", buildSummary())
	fmt.Fprintf(c.App.Writer, "load: %.2fs\n", time.Since(start).Seconds())
	vocab := strings.Fields("the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches in paris")
	texts := make([]string, n)
	for i := range texts {
		var b strings.Builder
		for w := 0; w < words; w++ {
			b.WriteString(vocab[(i*7+w*3)%len(vocab)])
			b.WriteByte(' ')
		}
		texts[i] = b.String()
	}
	if _, err := e.Embed(c.Context, texts[:1]); err != nil {
		return err
	}
	for r := 1; r <= runs; r++ {
		t := time.Now()
		res, err := e.EmbedDetailed(c.Context, texts, embed.EmbedOptions{})
		if err != nil {
			return err
		}
		d := time.Since(t).Seconds()
		fmt.Fprintf(c.App.Writer, "run %d: %d inputs, %d tokens in %.3fs: %.1f inputs/s, %.0f tokens/s\n",
			r, n, res.TotalTokens, d, float64(n)/d, float64(res.TotalTokens)/d)
	}
	return nil
}
