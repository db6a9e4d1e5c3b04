package minilm

import "testing"

func TestTokenizerJSON(t *testing.T) {
	if _, err := TokenizerJSON(); err != nil {
		t.Fatal(err)
	}
}
