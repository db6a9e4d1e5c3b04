//go:build race || !cgo || purego

package embed_test

// slowBuild is set where a 110M-parameter forward pass over the corpus takes
// many minutes (the race detector, the pure-Go BLAS); the cgo build without
// the race detector checks those numbers.
const slowBuild = true
