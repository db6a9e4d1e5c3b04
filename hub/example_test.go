package hub_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/gembed-dev/gembed/hub"
)

// Download a model into the shared Hugging Face cache with progress bars on
// stderr (when it is a terminal), then use the snapshot folder.
func ExampleClient_Download() {
	c := hub.NewClient() // HF_ENDPOINT, HF_HUB_CACHE/HF_HOME, HF_TOKEN, HF_HUB_OFFLINE
	c.Progress = hub.TerminalProgress(os.Stderr)
	dir, err := c.Download(context.Background(), "Qwen/Qwen3-Embedding-0.6B", "main")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(dir) // ~/.cache/huggingface/hub/models--Qwen--Qwen3-Embedding-0.6B/snapshots/<commit>
}

// Resolve accepts a local folder as well as a repo id.
func ExampleClient_Resolve() {
	c := hub.NewClient()
	dir, err := c.Resolve(context.Background(), "./my-model", "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(dir)
}
