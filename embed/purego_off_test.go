//go:build !purego && cgo

package embed_test

const pureGo = false
