// Command genmodel writes the random-weight test models of gembed.
//
//	go run ./testdata/genmodel -out testdata/models        # every tiny variant, into DIR/<variant>/
//	go run ./testdata/genmodel -out DIR -variant qwen3-bf16
//	go run ./testdata/genmodel -full /work/models/qwen3-0.6b  # Qwen3-Embedding-0.6B-shaped, BF16, ~1.19 GB
//	go run ./testdata/genmodel -mistral7b DIR -layers 2      # e5-mistral-7b shapes, 2 of its 32 layers, F16
//
// The output is bit-identical on every run and machine (see package modelgen).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

func main() {
	out := flag.String("out", "", "write the tiny variants into `DIR`/<variant>/")
	variant := flag.String("variant", "", "only this variant (one of "+fmt.Sprint(modelgen.Variants())+")")
	full := flag.String("full", "", "write the full-size Qwen3-Embedding-0.6B-shaped BF16 model into `DIR`")
	mistral := flag.String("mistral7b", "", "write an e5-mistral-7b-shaped F16 model with -layers layers into `DIR`")
	layers := flag.Int("layers", 2, "decoder layers of the -mistral7b model (the real one has 32)")
	flag.Parse()
	if *mistral != "" {
		if err := modelgen.Write(*mistral, modelgen.Mistral7B(*layers)); err != nil {
			fmt.Fprintln(os.Stderr, "genmodel:", err)
			os.Exit(1)
		}
		fmt.Println(*mistral)
		if *out == "" && *full == "" {
			return
		}
	}
	if *out == "" && *full == "" {
		fmt.Fprintln(os.Stderr, "genmodel: give -out DIR and/or -full DIR")
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, *variant, *full); err != nil {
		fmt.Fprintln(os.Stderr, "genmodel:", err)
		os.Exit(1)
	}
}

func run(out, variant, full string) error {
	if out != "" {
		names := modelgen.Variants()
		if variant != "" {
			if _, err := modelgen.Variant(variant); err != nil {
				return err
			}
			names = []string{variant}
		}
		for _, name := range names {
			spec, _ := modelgen.Variant(name)
			dir := filepath.Join(out, name)
			if err := modelgen.Write(dir, spec); err != nil {
				return err
			}
			fmt.Println(dir)
		}
	}
	if full != "" {
		start := time.Now()
		if err := modelgen.Write(full, modelgen.Full06B()); err != nil {
			return err
		}
		fmt.Printf("%s (%.1fs)\n", full, time.Since(start).Seconds())
	}
	return nil
}
