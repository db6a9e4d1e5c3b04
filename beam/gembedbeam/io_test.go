package gembedbeam

import "testing"

func TestShardOfIsStable(t *testing.T) {
	// FNV-1a 32 (offset basis 2166136261; "a" hashes to 0xe40c292c): fixed
	// values, so every worker and every re-run agrees.
	for _, tt := range []struct {
		id     string
		shards int
		want   int
	}{{"", 7, 2}, {"a", 1, 0}, {"a", 1000, 220}, {"doc-01", 1000, 491}} {
		if got := shardOf(tt.id, tt.shards); got != tt.want || got < 0 || got >= tt.shards {
			t.Errorf("shardOf(%q, %d) = %d, want %d", tt.id, tt.shards, got, tt.want)
		}
	}
}
