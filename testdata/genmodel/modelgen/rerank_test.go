package modelgen

// The reranker variants' pinned bytes (see goldenSHA256).
var rerankSHA256 = map[string]map[string]string{
	"bert-cross-encoder": {
		"config.json":             "6ecd16c3486c24fc83694525574b2e53948fc1cadeaafc6b0948be5fc90d6084",
		"model.safetensors":       "fb398bd3a8c77edb4bbe4b979be7da5923b9079393cc4815785d27a1d3803679",
		"special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer.json":          "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
		"tokenizer_config.json":   "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
	},
	"bert-cross-encoder-identity": {
		"config.json":             "2a9839c1807c469208c849b29dabcf76d4f2c15e873f3a9ca3357180f169494a",
		"model.safetensors":       "400fbed2d24643fa7d941a21e18a3b131c772142aed20bcb35ef7bee2c8ff92b",
		"special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer.json":          "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
		"tokenizer_config.json":   "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
	},
	"xlmr-cross-encoder": {
		"config.json":             "2527ca4f7eda61c2eba3024eae8007081cfa6f99b207151e1ef1a18ec7e23c6b",
		"model.safetensors":       "a579a648ce96eeafa425424071e5c1d16c479a752bbab6cb686fa2a17ca2005f",
		"special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer.json":          "07a05773a0f4dff5ba34feffdd267124daa6347215d61f543279fc22b2a0285e",
		"tokenizer_config.json":   "2b61386a5a1e0c7a9c48fe0be721d30c6404990eaabbfd0d0e2b3bb9b11832c2",
	},
	"qwen3-reranker": {
		"config.json":            "217a302417aff6173085534e5e96ff38d9cd0532905e4bbe6a5c6a131522abc8",
		"generation_config.json": "4cc4fd484a0505c4e5b4a814263792f27c351bd5f69665e53d2b845ecfee60f3",
		"model.safetensors":      "78dff6777d37e495af6ad368d1c26551682c305b600a16c10ac9266a8633f3d3",
		"tokenizer.json":         "def76fb086971c7867b829c23a26261e38d9d74e02139253b38aeb9df8b4b50a",
		"tokenizer_config.json":  "5a7303fcb1a27ede63134a2cbd61d5282c247ca6d769ce4746d4ffa124aedd63",
	},
	"qwen3-reranker-lmhead": {
		"config.json":            "7a2a760b7ceb43c6d5dbb2165a80bd08449afcadd768189c1c732c7c5cede123",
		"generation_config.json": "4cc4fd484a0505c4e5b4a814263792f27c351bd5f69665e53d2b845ecfee60f3",
		"model.safetensors":      "6bfe8e3c55eba050b596c88774965773fd1899aac9b18c72907b3010c2c8a0b9",
		"tokenizer.json":         "def76fb086971c7867b829c23a26261e38d9d74e02139253b38aeb9df8b4b50a",
		"tokenizer_config.json":  "5a7303fcb1a27ede63134a2cbd61d5282c247ca6d769ce4746d4ffa124aedd63",
	},
	"modernbert-cross-encoder": {
		"config.json":             "21c58209e22fc0e0cb043f7e24c09a73417e23587dd1ecc02a7032efd9c6d0fa",
		"model.safetensors":       "9c35649b2d157223236299d7b22e3bfe135c4982bdb12506e56c82a1c30149a5",
		"special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer.json":          "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
		"tokenizer_config.json":   "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
	},
}

func init() {
	for v, files := range rerankSHA256 {
		goldenSHA256[v] = files
	}
}
