package main

import (
	"fmt"
	"strconv"
	"strings"
)

// shard is the --shard INDEX/COUNT share of the input lines: a Kubernetes
// Indexed Job's pod INDEX of COUNT takes lines INDEX+1, INDEX+1+COUNT, …
type shard struct{ index, count int }

// parseShard reads INDEX/COUNT; "" is no sharding (count 0).
func parseShard(s string) (shard, error) {
	if s == "" {
		return shard{}, nil
	}
	i, n, ok := strings.Cut(s, "/")
	index, err1 := strconv.Atoi(i)
	count, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || count < 1 || index < 0 || index >= count {
		return shard{}, fmt.Errorf("--shard %q: want INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 0/4", s)
	}
	return shard{index, count}, nil
}

// filter keeps the inputs whose line (from 1) is the shard's.
func (s shard) filter(ins []jsonlInput) []jsonlInput {
	if s.count == 0 {
		return ins
	}
	var kept []jsonlInput
	for _, in := range ins {
		if (in.line-1)%s.count == s.index {
			kept = append(kept, in)
		}
	}
	return kept
}
