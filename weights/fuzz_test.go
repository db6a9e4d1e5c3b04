package weights

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// realHeaders returns the headers of the generated variants and their data
// section sizes, as fuzz seeds.
func realHeaders(f *testing.F) (headers [][]byte, dataLens []int64, indexes [][]byte) {
	for _, variant := range []string{"qwen3-bf16", "qwen3-sharded", "qwen2-f32"} {
		dir := modelgen.TestModel(f, variant)
		paths, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
		for _, p := range paths {
			fh, err := os.Open(p)
			if err != nil {
				f.Fatal(err)
			}
			st, _ := fh.Stat()
			var n [8]byte
			fh.ReadAt(n[:], 0)
			hlen := binary.LittleEndian.Uint64(n[:])
			h := make([]byte, hlen)
			fh.ReadAt(h, 8)
			fh.Close()
			headers = append(headers, h)
			dataLens = append(dataLens, st.Size()-8-int64(hlen))
		}
		if idx, err := os.ReadFile(filepath.Join(dir, "model.safetensors.index.json")); err == nil {
			indexes = append(indexes, idx)
		}
	}
	return headers, dataLens, indexes
}

// FuzzParseHeader: any header and data size give tensors or an error, never
// a panic, and accepted tensors always lie inside the data, disjoint.
func FuzzParseHeader(f *testing.F) {
	headers, lens, _ := realHeaders(f)
	for i := range headers {
		f.Add(headers[i], lens[i])
	}
	f.Add([]byte(`{"__metadata__":{"format":"pt"},"a":{"dtype":"F16","shape":[2,1],"data_offsets":[0,4]}}`), int64(4))
	f.Add([]byte(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":{}}`), int64(4))
	f.Add([]byte(`{"a":{"dtype":"I8","shape":[0],"data_offsets":[3,3]}}   `), int64(3))
	f.Fuzz(func(t *testing.T, header []byte, dataLen int64) {
		if dataLen < 0 {
			dataLen = -dataLen
		}
		tensors, err := parseHeader("fuzz.safetensors", header, dataLen)
		if err != nil {
			return
		}
		var prevEnd int64
		for _, tt := range tensors {
			if tt.begin < 0 || tt.end < tt.begin || tt.end > dataLen {
				t.Fatalf("accepted %q at [%d, %d] with %d data bytes", tt.name, tt.begin, tt.end, dataLen)
			}
			n := int64(tt.elemSize)
			for _, d := range tt.shape {
				n *= int64(d)
			}
			if n != tt.end-tt.begin {
				t.Fatalf("accepted %q: shape %v × %d ≠ %d bytes", tt.name, tt.shape, tt.elemSize, tt.end-tt.begin)
			}
			if tt.begin < prevEnd && tt.end > tt.begin {
				t.Fatalf("accepted overlapping %q", tt.name)
			}
			prevEnd = max(prevEnd, tt.end)
		}
	})
}

// FuzzFile feeds whole small files through validation and then reads every
// accepted tensor: conversion must stay inside the bytes it was given.
func FuzzFile(f *testing.F) {
	file := func(header string, body []byte) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
		return append(append(b, header...), body...)
	}
	f.Add(file(`{"w":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, make([]byte, 12)))
	f.Add(file(`{"model.w":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"lm_head.weight":{"dtype":"F16","shape":[1],"data_offsets":[6,8]}}`, make([]byte, 8)))
	f.Add(file(`{"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &Store{}
		_, err := s.addData("fuzz.safetensors", data, nil)
		s.index()
		if err != nil {
			return
		}
		for _, name := range s.Names() {
			info, err := s.Info(name)
			if err != nil {
				t.Fatal(err)
			}
			vals, err := s.Float32(name)
			if err == nil && len(vals) != info.Elems() {
				t.Fatalf("%s: %d values for shape %v", name, len(vals), info.Shape)
			}
			if len(info.Shape) == 2 && info.Shape[0] > 0 {
				_ = s.GatherRows(name, []int{info.Shape[0] - 1}, make([]float32, info.Shape[1]))
			}
		}
		s.Close()
	})
}
