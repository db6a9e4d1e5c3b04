// Package qwen3embedding carries the real Qwen/Qwen3-Embedding-0.6B tokenizer
// files (tokenizer.json gzipped, tokenizer_config.json as is) inside the
// module, so tests and the test-model generator need neither the network nor
// files outside the repository. The gzip copy was made with `gzip -9 -n` from
// the upstream tokenizer.json (sha256 TokenizerJSONSHA256).
package qwen3embedding

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
)

// TokenizerJSONGz is tokenizer.json, gzip-compressed.
//
//go:embed tokenizer.json.gz
var TokenizerJSONGz []byte

// TokenizerConfigJSON is tokenizer_config.json, byte for byte.
//
//go:embed tokenizer_config.json
var TokenizerConfigJSON []byte

// TokenizerJSONSHA256 is the sha256 of the uncompressed upstream tokenizer.json.
const TokenizerJSONSHA256 = "def76fb086971c7867b829c23a26261e38d9d74e02139253b38aeb9df8b4b50a"

// TokenizerJSON returns the uncompressed tokenizer.json and checks it against
// TokenizerJSONSHA256, so a damaged copy is an error rather than a puzzle.
func TokenizerJSON() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(TokenizerJSONGz))
	if err != nil {
		return nil, fmt.Errorf("qwen3-embedding tokenizer.json.gz: %w", err)
	}
	defer zr.Close()
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("qwen3-embedding tokenizer.json.gz: %w", err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != TokenizerJSONSHA256 {
		return nil, fmt.Errorf("qwen3-embedding tokenizer.json: sha256 %s, want %s", got, TokenizerJSONSHA256)
	}
	return data, nil
}
