//go:build race

package embed_test

// raceEnabled skips the 300M-parameter real-weight forward pass, which the
// race detector slows tenfold; the normal run checks its numbers.
const raceEnabled = true
