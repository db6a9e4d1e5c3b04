package server_test

import (
	"log"
	"net/http"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/server"
)

// Mount the embedding routes in a program's own HTTP server, under /embeddings/.
func Example() {
	e, err := embed.New("Qwen/Qwen3-Embedding-0.6B")
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	s := server.New(e, server.Options{ModelName: "qwen3-embedding"})

	mux := http.NewServeMux()
	mux.Handle("/embeddings/", http.StripPrefix("/embeddings", s)) // POST /embeddings/v1/embeddings, /embeddings/embed...
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", mux))
}
