// Package hub downloads model files from the Hugging Face Hub into the cache
// layout that Python's huggingface_hub uses (blobs, snapshots, refs), so models
// already fetched from Python are reused and models fetched here are visible
// to Python. It knows the Hub protocol, the cache, auth and offline mode,
// never tensors or tokens.
package hub
