// Package graph defines the supported architectures (one file each, keyed by
// config.json's model_type) as Gorgonia expression graphs assembled from
// package layers, binds safetensors weights to their nodes, runs them on a
// Gorgonia VM and pools the hidden states into one vector per input. It caches
// compiled graphs per input shape. It knows nothing about the Hub or the CLI.
package graph
