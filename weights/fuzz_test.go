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

// torchSeeds are valid torch archives for the fuzzers: the test writer's
// views, and the real torch.save goldens when they are present.
func torchSeeds(f *testing.F) (archives, pickles [][]byte) {
	vals := make([]byte, 48)
	tensors := []testTensor{
		{name: "w", storageType: "FloatStorage", key: "0", numel: 12, size: []int64{3, 4}, stride: []int64{4, 1}},
		{name: "t", storageType: "FloatStorage", key: "0", numel: 12, offset: 1, size: []int64{2, 3}, stride: []int64{1, 4}},
		{name: "h", storageType: "HalfStorage", key: "1", numel: 4, size: []int64{4}, stride: []int64{1}},
	}
	pkl := statePickle(tensors)
	archives = append(archives, torchArchive(f, "archive", pkl, map[string][]byte{"0": vals, "1": vals[:8]}))
	pickles = append(pickles, pkl)
	paths, _ := filepath.Glob(filepath.Join(torchGoldenDir, "*", "pytorch_model*.bin"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		archives = append(archives, data)
		if raws, err := zipRecordData(data, "data.pkl"); err == nil {
			pickles = append(pickles, raws)
		}
	}
	return archives, pickles
}

// FuzzTorchArchive feeds whole files through the pytorch_model.bin reader
// and reads every accepted tensor: no panic, and conversions stay inside
// the bytes they were given.
func FuzzTorchArchive(f *testing.F) {
	archives, _ := torchSeeds(f)
	for _, a := range archives {
		f.Add(a)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &Store{}
		_, err := s.addTorchData("fuzz.bin", data, nil)
		if err == nil {
			err = s.index()
		}
		if err == nil {
			readAll(t, s)
		}
		s.Close()
	})
}

// FuzzTorchPickle puts any data.pkl beside two fixed storages: zip parsing
// would hide most mutations of the pickle from FuzzTorchArchive.
func FuzzTorchPickle(f *testing.F) {
	_, pickles := torchSeeds(f)
	for _, p := range pickles {
		f.Add(p)
	}
	f.Add((&pickleWriter{}).op(0x80, 2).global("os", "system").str("x").op(0x85, 'R', '.').Bytes())
	storages := map[string][]byte{"0": make([]byte, 48), "1": make([]byte, 8)}
	f.Fuzz(func(t *testing.T, pkl []byte) {
		s := &Store{}
		_, err := s.addTorchData("fuzz.bin", torchArchive(t, "archive", pkl, storages), nil)
		if err == nil {
			err = s.index()
		}
		if err == nil {
			readAll(t, s)
		}
		s.Close()
	})
}

// readAll converts every tensor of an accepted store and one row of each
// matrix.
func readAll(t *testing.T, s *Store) {
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
}
