// Package server serves an embed.Embedder over HTTP: the OpenAI
// /v1/embeddings route, the text-embeddings-inference /embed route, /health
// and Prometheus /metrics, batching requests from many clients together. Go
// programs can mount its handler in their own servers.
package server
