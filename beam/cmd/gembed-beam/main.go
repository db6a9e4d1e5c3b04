// Command gembed-beam embeds a corpus with gembed on Apache Beam.
//
//	gembed-beam --input 'corpus/*.jsonl' --output out/vectors --model Qwen/Qwen3-Embedding-0.6B
//
// reads {"id": ..., "text": ...} lines (or, with --format lines, one text per
// line, whose id is FILE:LINE) from the files matching --input, and writes
// {"id": ..., "embedding": [...]} lines into --shards files
// PREFIX-SSSSS-of-NNNNN.jsonl, plus PREFIX-errors.jsonl with one
// {"id": ..., "error": ...} line per document that could not be embedded.
// A re-run over the same input writes the same files.
//
// It runs on Prism, Beam's in-process runner, unless --runner says
// otherwise (dataflow, flink, spark, universal: see README for the full
// command lines); the usual Beam runner flags apply.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/s3"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/gembed-dev/gembed/beam/gembedbeam"
)

var (
	input       = flag.String("input", "", "files to embed: a glob (local, gs://, s3://); .gz is decompressed")
	output      = flag.String("output", "", "output PREFIX: PREFIX-SSSSS-of-NNNNN.jsonl and PREFIX-errors.jsonl")
	format      = flag.String("format", gembedbeam.FormatJSONL, `input format: "jsonl" ({"id","text"} lines) or "lines" (one text per line, id FILE:LINE)`)
	shards      = flag.Int("shards", 1, "output files; keep it the same between re-runs")
	model       = flag.String("model", "", "Hugging Face model id (ORG/NAME) or a model folder present on every worker")
	revision    = flag.String("revision", "", "Hub revision: branch, tag or commit (default main)")
	cacheDir    = flag.String("cache-dir", "", "Hugging Face cache folder on the workers (default $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)")
	offline     = flag.Bool("offline", false, "no network on the workers: use their cache only (also HF_HUB_OFFLINE=1)")
	threads     = flag.Int("threads", 0, "cores per worker process (default all)")
	dimensions  = flag.Int("dimensions", 0, "keep the first N values of each vector, renormalized (Matryoshka)")
	promptName  = flag.String("prompt-name", "", `prompt of config_sentence_transformers.json to prepend (e.g. "query")`)
	prompt      = flag.String("prompt", "", `free text to prepend to every document, e.g. "passage: "`)
	instruction = flag.String("instruction", "", `query task: texts become "Instruct: TASK\nQuery:" + text`)
	maxLength   = flag.Int("max-length", 0, "maximum tokens per input, prompt included (default the model's)")
	noTruncate  = flag.Bool("no-truncate", false, "send a document longer than --max-length to the errors file instead of truncating it")
	noNormalize = flag.Bool("no-normalize", false, "do not L2-normalize the vectors")
	batchTokens = flag.Int("batch-tokens", gembedbeam.DefaultBatchTokens, "tokens per model call (the server's --max-batch-tokens)")
)

func main() {
	flag.Parse()
	// On a worker, Init runs the SDK harness and never returns.
	beam.Init()
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "gembed-beam:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	p, err := pipeline()
	if err != nil {
		return err
	}
	return beamx.Run(ctx, p)
}

// pipeline checks the flags and builds the pipeline they describe.
func pipeline() (*beam.Pipeline, error) {
	switch {
	case *input == "":
		return nil, errors.New("--input is required")
	case *output == "":
		return nil, errors.New("--output is required")
	case *model == "":
		return nil, errors.New("--model is required")
	case *format != gembedbeam.FormatJSONL && *format != gembedbeam.FormatLines:
		return nil, fmt.Errorf("--format %q: want jsonl or lines", *format)
	case *shards < 1:
		return nil, fmt.Errorf("--shards %d: want a positive number", *shards)
	case *batchTokens < 1:
		return nil, fmt.Errorf("--batch-tokens %d: want a positive number", *batchTokens)
	}
	for name, v := range map[string]int{"dimensions": *dimensions, "max-length": *maxLength, "threads": *threads} {
		if v < 0 {
			return nil, fmt.Errorf("--%s %d: want a positive number (leave the flag out for the default)", name, v)
		}
	}
	if flag.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (every input goes through --input)", flag.Arg(0))
	}
	opts := gembedbeam.Options{
		Model: *model, Revision: *revision, CacheDir: *cacheDir, Offline: *offline, Threads: *threads,
		Dimensions: *dimensions, PromptName: *promptName, Prompt: *prompt, Instruction: *instruction, MaxLength: *maxLength,
		NoTruncate: *noTruncate, NoNormalize: *noNormalize, BatchTokens: *batchTokens,
	}
	p, s := beam.NewPipelineWithRoot()
	docs, badInput := gembedbeam.ReadDocuments(s, *input, *format)
	vectors, failed := gembedbeam.Embed(s, docs, opts)
	unwritable := gembedbeam.WriteJSONL(s, *output, *shards, vectors)
	gembedbeam.WriteDeadLetters(s, *output+"-errors.jsonl", beam.Flatten(s, badInput, failed, unwritable))
	return p, nil
}
