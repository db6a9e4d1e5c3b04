//go:build !purego

package main

// purego is set by the purego build tag (no assembly kernels).
const purego = false
