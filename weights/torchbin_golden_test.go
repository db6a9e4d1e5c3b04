package weights

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
)

// torchGoldenDir holds pytorch_model.bin files written by real torch.save
// (scripts/torchbin/make_golden.py) and torch's own float32 view of every
// tensor.
const torchGoldenDir = "../testdata/golden/torchbin"

type torchGolden struct {
	Torch string `json:"torch"`
	Files map[string]struct {
		SHA256   string `json:"sha256"`
		Refused  bool   `json:"refused"`
		Producer string `json:"producer"`
		Tensors  map[string]struct {
			DType   string   `json:"dtype"`
			Shape   []int    `json:"shape"`
			F32Bits []uint32 `json:"f32_bits"`
		} `json:"tensors"`
	} `json:"files"`
}

// torchDTypes maps torch's dtype names to ours.
var torchDTypes = map[string]DType{"float32": F32, "float16": F16, "bfloat16": BF16, "int64": "I64"}

func loadTorchGolden(t *testing.T) torchGolden {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(torchGoldenDir, "expected.json"))
	if err != nil {
		t.Fatalf("golden missing (make it with scripts/torchbin/make_golden.py): %v", err)
	}
	var g torchGolden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Files) == 0 {
		t.Fatal("expected.json lists no files")
	}
	for rel, f := range g.Files {
		data, err := os.ReadFile(filepath.Join(torchGoldenDir, rel))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Fatalf("%s: sha256 differs from the one expected.json was made from", rel)
		}
	}
	return g
}

// TestTorchGoldens reads every file real torch.save wrote and compares each
// tensor's dtype, shape and float32 bits with torch's (NaN: any NaN).
func TestTorchGoldens(t *testing.T) {
	g := loadTorchGolden(t)
	// Each folder is opened as a model folder would be; the sharded one
	// through its index, and its expectations are the union of its shards.
	want := map[string]map[string]string{} // folder → tensor → file rel path
	for rel, f := range g.Files {
		if f.Refused {
			continue
		}
		dir := filepath.Dir(rel)
		if want[dir] == nil {
			want[dir] = map[string]string{}
		}
		for name := range f.Tensors {
			want[dir][name] = rel
		}
	}
	for _, dir := range []string{"single", "protocol4", "module", "sharded", "dense/2_Dense"} {
		if want[dir] == nil {
			t.Errorf("expected.json has no files in %s", dir)
		}
	}
	for dir, tensors := range want {
		t.Run(dir, func(t *testing.T) {
			s, err := Open(filepath.Join(torchGoldenDir, dir))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var names []string
			for name, rel := range tensors {
				names = append(names, name)
				w := g.Files[rel].Tensors[name]
				info, err := s.Info(name)
				if err != nil {
					t.Fatal(err)
				}
				if info.DType != torchDTypes[w.DType] || !sameShape(info.Shape, w.Shape) ||
					info.File != filepath.Join(torchGoldenDir, rel) {
					t.Errorf("Info(%q) = %+v, want %s %v in %s", name, info, w.DType, w.Shape, rel)
				}
				if w.F32Bits == nil {
					if _, err := s.Float32(name); err == nil {
						t.Errorf("%s: %s converted to float32", name, w.DType)
					}
					continue
				}
				got, err := s.Float32(name)
				if err != nil {
					t.Fatal(err)
				}
				if i := firstMismatch(got, w.F32Bits); i >= 0 {
					t.Errorf("%s[%d] = %#08x, torch says %#08x", name, i, bitsAt(got, i), bitsAtU(w.F32Bits, i))
				}
				if len(w.Shape) == 2 && w.Shape[0] > 0 {
					cols, last := w.Shape[1], w.Shape[0]-1
					row := make([]float32, cols)
					if err := s.GatherRows(name, []int{last}, row); err != nil {
						t.Fatal(err)
					}
					if i := firstMismatch(row, w.F32Bits[last*cols:]); i >= 0 {
						t.Errorf("GatherRows(%s, %d)[%d] differs from torch", name, last, i)
					}
				}
			}
			sort.Strings(names)
			if got := s.Names(); !reflect.DeepEqual(got, names) {
				t.Errorf("Names() = %v\nwant %v", got, names)
			}
		})
	}
}

// TestTorchGoldensRefused: the pre-1.6 file and the pickle that would run
// os.system, both written by torch.save, are refused with errors naming
// them.
func TestTorchGoldensRefused(t *testing.T) {
	g := loadTorchGolden(t)
	cases := []struct {
		rel  string
		is   error
		want []string
	}{
		{"legacy/pytorch_model.bin", ErrLegacyTorchFormat, []string{"legacy (pre-1.6, non-zip)"}},
		{"hostile/pytorch_model.bin", ErrForbiddenGlobal, []string{`"posix.system"`, "not allowed"}},
	}
	for _, c := range cases {
		if !g.Files[c.rel].Refused {
			t.Errorf("expected.json does not list %s as refused", c.rel)
		}
		path := filepath.Join(torchGoldenDir, c.rel)
		s, err := OpenFile(path)
		if err == nil {
			s.Close()
		}
		assertErr(t, err, append([]string{path}, c.want...)...)
		if !errors.Is(err, c.is) {
			t.Errorf("%s: error %v does not wrap %v", c.rel, err, c.is)
		}
	}
}

func sameShape(a, b []int) bool { return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b)) }

// firstMismatch compares float32s with torch's bits; NaN matches any NaN
// (payloads are not part of torch's contract), anything else bit for bit.
func firstMismatch(got []float32, want []uint32) int {
	if len(want) != len(got) {
		return min(len(want), len(got))
	}
	for i, v := range got {
		w := math.Float32frombits(want[i])
		if w != w {
			if v == v {
				return i
			}
			continue
		}
		if math.Float32bits(v) != want[i] {
			return i
		}
	}
	return -1
}

func bitsAt(v []float32, i int) uint32 {
	if i < len(v) {
		return math.Float32bits(v[i])
	}
	return 0
}

func bitsAtU(v []uint32, i int) uint32 {
	if i < len(v) {
		return v[i]
	}
	return 0
}

// zipRecordData returns the record of a zip whose name ends in /suffix.
func zipRecordData(data []byte, suffix string) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/"+suffix) {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return io.ReadAll(rc)
		}
	}
	return nil, fmt.Errorf("no record */%s", suffix)
}

// TestTorchConcurrentReaders reads views of shared storages from several
// goroutines (run with -race).
func TestTorchConcurrentReaders(t *testing.T) {
	s, err := Open(filepath.Join(torchGoldenDir, "single"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	names := []string{"views.transposed", "views.sliced", "tied.embed.weight", "tied.row", "encoder.special.f16"}
	want := map[string][]float32{}
	for _, name := range names {
		if want[name], err = s.Float32(name); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, name := range names {
				got, err := s.Float32(name)
				if err != nil {
					t.Error(err)
					return
				}
				if i := firstBitDifference(got, want[name]); i >= 0 {
					t.Errorf("%s: concurrent read differs at %d", name, i)
				}
			}
		}()
	}
	wg.Wait()
}
