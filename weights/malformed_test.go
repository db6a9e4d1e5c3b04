package weights

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeSafetensors writes header (padded to 8 bytes) and body as a safetensors file.
func writeSafetensors(t *testing.T, path, header string, body []byte) {
	t.Helper()
	for (len(header))%8 != 0 {
		header += " "
	}
	data := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	data = append(append(data, header...), body...)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path string, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// assertErr checks err mentions every fragment.
func assertErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

func TestMalformedFiles(t *testing.T) {
	f32x2 := `"dtype":"F32","shape":[2]`
	cases := []struct {
		name   string
		raw    []byte // whole file, when set
		header string
		body   int
		want   []string
	}{
		{name: "too short", raw: []byte{1, 2, 3}, want: []string{"too short"}},
		{name: "header length beyond file", raw: binary.LittleEndian.AppendUint64(nil, 1000),
			want: []string{"header length 1000 exceeds the file size 8"}},
		{name: "huge header length", raw: binary.LittleEndian.AppendUint64(nil, math.MaxUint64),
			want: []string{"header length 18446744073709551615 exceeds the file size"}},
		{name: "header not JSON", header: `{"a": nope}`, want: []string{"header is not a JSON object"}},
		{name: "header JSON array", header: `[1,2]`, want: []string{"header is not a JSON object"}},
		{name: "truncated JSON", header: `{"a":{"dtype":"F32"`, want: []string{"header is not a JSON object"}},
		{name: "unknown dtype", header: `{"w":{"dtype":"Q4_K","shape":[2],"data_offsets":[0,8]}}`, body: 8,
			want: []string{`"w"`, "Q4_K"}},
		{name: "missing dtype", header: `{"w":{"shape":[2],"data_offsets":[0,8],"x":1}}`, body: 8,
			want: []string{`"w"`, "dtype"}},
		{name: "negative shape", header: `{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, body: 8,
			want: []string{`"w"`, "shape"}},
		{name: "size mismatch", header: `{"w":{"dtype":"BF16","shape":[3,2],"data_offsets":[0,8]}}`, body: 8,
			want: []string{`tensor "w"`, "shape [3 2] × BF16", "12 bytes", "span 8 bytes"}},
		{name: "shape overflow", header: `{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, body: 8,
			want: []string{`tensor "w"`, "overflows"}},
		{name: "offsets reversed", header: `{"w":{` + f32x2 + `,"data_offsets":[8,0]}}`, body: 8,
			want: []string{`tensor "w"`, "end before they begin"}},
		{name: "offsets out of range", header: `{"w":{` + f32x2 + `,"data_offsets":[8,16]}}`, body: 12,
			want: []string{`tensor "w"`, "beyond the data section of 12 bytes"}},
		{name: "overlapping", header: `{"a":{` + f32x2 + `,"data_offsets":[0,8]},"b":{` + f32x2 + `,"data_offsets":[4,12]}}`, body: 12,
			want: []string{`tensor "b"`, `overlap tensor "a"`}},
		{name: "same range", header: `{"a":{` + f32x2 + `,"data_offsets":[0,8]},"b":{` + f32x2 + `,"data_offsets":[0,8]}}`, body: 8,
			want: []string{`tensor "b"`, `overlap tensor "a"`}},
		{name: "duplicate name", header: `{"w":{` + f32x2 + `,"data_offsets":[0,8]},"w":{` + f32x2 + `,"data_offsets":[8,16]}}`, body: 16,
			want: []string{`duplicate tensor name "w"`}},
		{name: "metadata not strings", header: `{"__metadata__":{"format":1}}`, want: []string{"invalid safetensors header", "__metadata__"}},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "case"+string(rune('a'+i))+".safetensors")
			if c.raw != nil {
				if err := os.WriteFile(path, c.raw, 0o644); err != nil {
					t.Fatal(err)
				}
			} else {
				writeSafetensors(t, path, c.header, make([]byte, c.body))
			}
			s, err := OpenFile(path)
			if err == nil {
				s.Close()
			}
			assertErr(t, err, append([]string{path}, c.want...)...)
		})
	}
}

func TestMissingFiles(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir)
	assertErr(t, err, dir, "no model.safetensors or model.safetensors.index.json")
	_, err = OpenFile(filepath.Join(dir, "nope.safetensors"))
	assertErr(t, err, filepath.Join(dir, "nope.safetensors"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v does not wrap os.ErrNotExist", err)
	}
}

func TestMalformedIndex(t *testing.T) {
	shard := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	cases := []struct {
		name  string
		index string
		want  []string
	}{
		{"not JSON", `{weight_map`, []string{"invalid index JSON"}},
		{"no weight_map", `{"metadata":{}}`, []string{"no weight_map"}},
		{"empty weight_map", `{"weight_map":{}}`, []string{"weight_map is empty"}},
		{"weight_map not object", `{"weight_map":[1]}`, []string{"weight_map is not a JSON object"}},
		{"weight_map values not strings", `{"weight_map":{"a":1}}`, []string{"weight_map must map"}},
		{"duplicate in weight_map", `{"weight_map":{"a":"s1.safetensors","a":"s1.safetensors"}}`, []string{`duplicate tensor name "a"`}},
		{"missing shard", `{"weight_map":{"a":"s1.safetensors","b":"gone.safetensors"}}`,
			[]string{"gone.safetensors", `"b"`, "cannot be opened"}},
		{"tensor absent from shard", `{"weight_map":{"a":"s1.safetensors","zz":"s1.safetensors"}}`,
			[]string{`tensor "zz"`, "s1.safetensors", "does not contain it"}},
		{"shard escapes folder", `{"weight_map":{"a":"../s1.safetensors"}}`, []string{`"../s1.safetensors"`, "not a clean path inside the folder"}},
		{"same tensor in two shards", `{"weight_map":{"a":"s1.safetensors","b":"s2.safetensors"}}`,
			[]string{"duplicate tensor name", "s1.safetensors", "s2.safetensors"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeSafetensors(t, filepath.Join(dir, "s1.safetensors"), shard, make([]byte, 8))
			writeSafetensors(t, filepath.Join(dir, "s2.safetensors"), `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8))
			index := filepath.Join(dir, "model.safetensors.index.json")
			writeFile(t, index, c.index)
			s, err := Open(dir)
			if err == nil {
				s.Close()
			}
			want := c.want
			if c.name != "same tensor in two shards" {
				want = append([]string{index}, want...)
			}
			assertErr(t, err, want...)
		})
	}
}

func TestDTypes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	// f16: 1, -2, smallest subnormal, +inf; bf16: 1.5, -0; i64: 7
	var body []byte
	for _, h := range []uint16{0x3c00, 0xc000, 0x0001, 0x7c00} {
		body = binary.LittleEndian.AppendUint16(body, h)
	}
	for _, b := range []uint16{0x3fc0, 0x8000} {
		body = binary.LittleEndian.AppendUint16(body, b)
	}
	body = binary.LittleEndian.AppendUint64(body, 7)
	body = binary.LittleEndian.AppendUint32(body, math.Float32bits(0.25))
	writeSafetensors(t, path, `{"__metadata__":{"format":"pt"},`+
		`"half":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},`+
		`"bf":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},`+
		`"ids":{"dtype":"I64","shape":[1],"data_offsets":[12,20]},`+
		`"scalar":{"dtype":"F32","shape":[],"data_offsets":[20,24]},`+
		`"lm_head.weight":{"dtype":"F32","shape":[0],"data_offsets":[24,24]}}`, body)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Float32("half")
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, -2, 0x1p-24, float32(math.Inf(1))}; firstBitDifference(got, want) >= 0 {
		t.Errorf("F16 = %v, want %v", got, want)
	}
	got, err = s.Float32("bf")
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1.5, float32(math.Copysign(0, -1))}; firstBitDifference(got, want) >= 0 {
		t.Errorf("BF16 = %v, want %v", got, want)
	}
	got, err = s.Float32("scalar")
	if err != nil || len(got) != 1 || got[0] != 0.25 {
		t.Errorf("scalar = %v, %v", got, err)
	}
	info, err := s.Info("ids")
	if err != nil || info.DType != "I64" {
		t.Errorf("Info(ids) = %+v, %v", info, err)
	}
	_, err = s.Float32("ids")
	assertErr(t, err, path, `"ids"`, "I64 cannot be converted")

	row := make([]float32, 2)
	assertErr(t, s.GatherRows("half", []int{2}, row), `"half"`, "row 2", "out of range")
	assertErr(t, s.GatherRows("half", []int{-1}, row), `"half"`, "row -1")
	assertErr(t, s.GatherRows("bf", []int{0}, row), `"bf"`, "2-D")
	assertErr(t, s.GatherRows("half", []int{0, 1}, row), `"half"`, "destination holds 2")
	if err := s.GatherRows("half", []int{1, 0}, make([]float32, 4)); err != nil {
		t.Error(err)
	}
	assertErr(t, s.Float32Into("half", make([]float32, 3)), `"half"`, "destination holds 3")
	_, err = s.Float32("nope.weight")
	assertErr(t, err, `"nope.weight"`)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("missing tensor error %v is not ErrNotFound", err)
	}
	if names := s.Names(); len(names) != 5 || names[3] != "lm_head.weight" {
		t.Errorf("Names() = %v (every tensor, as stored)", names)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Float32("half"); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
