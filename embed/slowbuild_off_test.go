//go:build !race && cgo && !purego

package embed_test

const slowBuild = false
