//go:build purego || !cgo

package embed_test

// pureGo marks the cgo-free build, 5–20× slower: the longest real-weight
// goldens run in the cgo build only.
const pureGo = true
