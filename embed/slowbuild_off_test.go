//go:build !race && !purego

package embed_test

const slowBuild = false
