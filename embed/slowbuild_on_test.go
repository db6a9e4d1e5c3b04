//go:build race || purego

package embed_test

// slowBuild is set where a 110M-parameter forward pass over the corpus takes
// many minutes (the race detector, the pure-Go kernels); the default build without
// the race detector checks those numbers.
const slowBuild = true
