package qwen3embedding

import "testing"

func TestTokenizerJSON(t *testing.T) {
	data, err := TokenizerJSON()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 1<<20 || len(TokenizerConfigJSON) == 0 {
		t.Fatalf("tokenizer files too small: %d, %d bytes", len(data), len(TokenizerConfigJSON))
	}
}
