//go:build race

package graph

// raceEnabled skips the real-weight forward passes, which the race detector
// slows tenfold; the normal run checks their numbers.
const raceEnabled = true
