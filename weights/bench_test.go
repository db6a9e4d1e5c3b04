package weights

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchModelDir is the 0.6B-shaped BF16 model made by
// `go run ./testdata/genmodel -full /work/models/qwen3-0.6b`.
func benchModelDir(b *testing.B) string {
	dir := os.Getenv("GEMBED_BENCH_MODEL")
	if dir == "" {
		dir = "/work/models/qwen3-0.6b"
	}
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err != nil {
		b.Skipf("no benchmark model (%v); make it with go run ./testdata/genmodel -full DIR and set GEMBED_BENCH_MODEL", err)
	}
	return dir
}

// BenchmarkLoad06B compares converting every tensor of the 0.6B BF16 file to
// float32 with plainly reading the file, with a warm page cache (target:
// load ≤ 1.5× read). "read" and "load" allocate their output every time, as a
// fresh process does (os.ReadFile; Open + Float32 of every tensor);
// "read-into" and "load-into" reuse their buffers (ReadAt into one buffer;
// Open + Float32Into), which leaves out the kernel's first-touch page faults.
// -count repeats each sub-benchmark back to back; to interleave, run the
// compiled test binary several times.
func BenchmarkLoad06B(b *testing.B) {
	dir := benchModelDir(b)
	path := filepath.Join(dir, "model.safetensors")
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.ReadFile(path); err != nil { // warm the page cache
		b.Fatal(err)
	}
	b.Run("read", func(b *testing.B) {
		b.SetBytes(st.Size())
		for b.Loop() {
			data, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			_ = data
		}
	})
	b.Run("load", func(b *testing.B) {
		b.SetBytes(st.Size())
		for b.Loop() {
			s, err := Open(dir)
			if err != nil {
				b.Fatal(err)
			}
			for _, name := range s.Names() {
				if _, err := s.Float32(name); err != nil {
					b.Fatal(err)
				}
			}
			s.Close()
		}
	})
	buf := make([]byte, st.Size())
	readInto := func(b *testing.B) {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(f, buf); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.Run("read-into", func(b *testing.B) {
		readInto(b) // first touch of buf, outside the timing
		b.SetBytes(st.Size())
		for b.Loop() {
			readInto(b)
		}
	})
	buf = nil
	dsts := map[string][]float32{}
	loadInto := func(b *testing.B) {
		s, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		for _, name := range s.Names() {
			dst, ok := dsts[name]
			if !ok {
				info, _ := s.Info(name)
				dst = make([]float32, info.Elems())
				dsts[name] = dst
			}
			if err := s.Float32Into(name, dst); err != nil {
				b.Fatal(err)
			}
		}
		s.Close()
	}
	b.Run("load-into", func(b *testing.B) {
		loadInto(b) // first touch of the buffers, outside the timing
		b.SetBytes(st.Size())
		for b.Loop() {
			loadInto(b)
		}
	})
}

// BenchmarkTorchFloat32 converts a 1024×1024 tensor of a pytorch_model.bin:
// row-major (the same path as safetensors) and transposed (gathered element
// by element, which only the rare strided views take).
func BenchmarkTorchFloat32(b *testing.B) {
	const n = 1024
	tensors := []testTensor{
		{name: "bf16", storageType: "BFloat16Storage", key: "0", numel: n * n, size: []int64{n, n}, stride: []int64{n, 1}},
		{name: "f32", storageType: "FloatStorage", key: "1", numel: n * n, size: []int64{n, n}, stride: []int64{n, 1}},
		{name: "f32.transposed", storageType: "FloatStorage", key: "1", numel: n * n, size: []int64{n, n}, stride: []int64{1, n}},
	}
	data := torchArchive(b, "archive", statePickle(tensors), map[string][]byte{"0": make([]byte, 2*n*n), "1": make([]byte, 4*n*n)})
	path := filepath.Join(b.TempDir(), "pytorch_model.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	s, err := OpenFile(path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	dst := make([]float32, n*n)
	for _, t := range tensors {
		b.Run(t.name, func(b *testing.B) {
			b.SetBytes(int64(len(dst)) * int64(dtypeBytes(storageDTypes[t.storageType])))
			for b.Loop() {
				if err := s.Float32Into(t.name, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
