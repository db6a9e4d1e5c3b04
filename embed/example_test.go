package embed_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

func Example() {
	// A Hub id such as "Qwen/Qwen3-Embedding-0.6B" works the same way; here
	// a tiny generated model folder keeps the example offline.
	dir, err := modelgen.EnsureVariant("qwen3-f32")
	if err != nil {
		log.Fatal(err)
	}
	e, err := embed.New(dir, embed.WithDimensions(32))
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	ctx := context.Background()
	docs, err := e.Embed(ctx, []string{"The capital of China is Beijing.", "Gravity is a force."})
	if err != nil {
		log.Fatal(err)
	}
	queries, err := e.EmbedQueries(ctx, []string{"What is the capital of China?"})
	if err != nil {
		log.Fatal(err)
	}
	scores := embed.Similarity(queries, docs)
	fmt.Println(len(docs), len(docs[0]), len(scores), len(scores[0]))
	// Output: 2 32 1 2
}

func ExampleEmbedder_EmbedDetailed() {
	dir, err := modelgen.EnsureVariant("qwen3-f32")
	if err != nil {
		log.Fatal(err)
	}
	e, err := embed.New(dir, embed.WithMaxLength(16))
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	r, err := e.EmbedDetailed(context.Background(), []string{
		"short",
		"a text that is much longer than sixteen tokens, so it gets truncated at the end",
	}, embed.EmbedOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for i, in := range r.Inputs {
		fmt.Printf("input %d: %d tokens, truncated %v\n", i, in.Tokens, in.Truncated)
	}
	fmt.Println("usage:", r.TotalTokens, "tokens")
	// Output:
	// input 0: 2 tokens, truncated false
	// input 1: 16 tokens, truncated true
	// usage: 18 tokens
}
