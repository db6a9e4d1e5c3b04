//go:build race

package tokenizer

// raceEnabled thins out the exhaustive tests, which the race detector slows tenfold.
const raceEnabled = true
