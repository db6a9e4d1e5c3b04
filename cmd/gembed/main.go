// Command gembed embeds text with Hugging Face embedding models (Qwen3 and
// Qwen2 decoders) on the CPU: embed, similarity, tokenize, download, info
// and serve.
package main

func main() {}
