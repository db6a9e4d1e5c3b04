package weights

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// openTorchBytes writes an archive as pytorch_model.bin and opens it.
func openTorchBytes(t *testing.T, data []byte) (*Store, string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pytorch_model.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := OpenFile(path)
	return s, path, err
}

// TestTorchViews reads views of one storage under an unusual top folder
// name: row-major with an offset, a transpose, a stepped slice, a scalar.
func TestTorchViews(t *testing.T) {
	// storage "0" is 0..11 as a 3×4 matrix.
	vals := make([]float32, 12)
	for i := range vals {
		vals[i] = float32(i)
	}
	fs := func(name string, offset int64, size, stride []int64) testTensor {
		return testTensor{name: name, storageType: "FloatStorage", key: "0", numel: 12, offset: offset, size: size, stride: stride}
	}
	tensors := []testTensor{
		fs("model.whole", 0, []int64{3, 4}, []int64{4, 1}),
		fs("rows", 4, []int64{2, 4}, []int64{4, 1}),
		fs("transposed", 0, []int64{4, 3}, []int64{1, 4}),
		fs("stepped", 1, []int64{3, 2}, []int64{4, 2}),
		fs("scalar", 7, nil, nil),
		fs("broadcast", 2, []int64{2, 3}, []int64{0, 1}),
		fs("stepped1d", 1, []int64{4}, []int64{3}),
		fs("permuted3d", 0, []int64{2, 2, 3}, []int64{1, 6, 2}),
		fs("gapped3d", 0, []int64{2, 2, 2}, []int64{6, 3, 1}),
	}
	data := torchArchive(t, "some_folder-name", statePickle(tensors), map[string][]byte{"0": f32Bytes(vals...)})
	s, path, err := openTorchBytes(t, data)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[string]struct {
		shape []int
		vals  []float32
	}{
		"model.whole": {[]int{3, 4}, vals},
		"rows":        {[]int{2, 4}, vals[4:12]},
		"transposed":  {[]int{4, 3}, []float32{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}},
		"stepped":     {[]int{3, 2}, []float32{1, 3, 5, 7, 9, 11}},
		"scalar":      {nil, []float32{7}}, // Info gives a nil shape for a scalar, as for safetensors
		"broadcast":   {[]int{2, 3}, []float32{2, 3, 4, 2, 3, 4}},
		"stepped1d":   {[]int{4}, []float32{1, 4, 7, 10}},
		"permuted3d":  {[]int{2, 2, 3}, []float32{0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11}},
		"gapped3d":    {[]int{2, 2, 2}, []float32{0, 1, 3, 4, 6, 7, 9, 10}},
	}
	if names := s.Names(); !reflect.DeepEqual(names, []string{"broadcast", "gapped3d", "model.whole", "permuted3d", "rows", "scalar", "stepped", "stepped1d", "transposed"}) {
		t.Errorf("Names() = %v", names)
	}
	for name, w := range want {
		info, err := s.Info(name)
		if err != nil {
			t.Fatal(err)
		}
		if info.DType != F32 || !reflect.DeepEqual(info.Shape, w.shape) || info.File != path {
			t.Errorf("Info(%q) = %+v, want F32 %v in %s", name, info, w.shape, path)
		}
		got, err := s.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		if i := firstBitDifference(got, w.vals); i >= 0 {
			t.Errorf("%s = %v, want %v", name, got, w.vals)
		}
		if len(w.shape) == 2 {
			cols := w.shape[1]
			rows := []int{w.shape[0] - 1, 0}
			dst := make([]float32, 2*cols)
			if err := s.GatherRows(name, rows, dst); err != nil {
				t.Fatal(err)
			}
			wantRows := append(append([]float32(nil), w.vals[rows[0]*cols:(rows[0]+1)*cols]...), w.vals[:cols]...)
			if i := firstBitDifference(dst, wantRows); i >= 0 {
				t.Errorf("GatherRows(%s) = %v, want %v", name, dst, wantRows)
			}
		}
	}
}

func TestMalformedTorchFiles(t *testing.T) {
	f32 := func(name, key string, numel, offset int64, size, stride []int64) testTensor {
		return testTensor{name: name, storageType: "FloatStorage", key: key, numel: numel, offset: offset, size: size, stride: stride}
	}
	four := map[string][]byte{"0": make([]byte, 16)}
	good := statePickle([]testTensor{f32("w", "0", 4, 0, []int64{2, 2}, []int64{2, 1})})
	hostileReduce := (&pickleWriter{}).op(0x80, 2).global("os", "system").str("echo pwned").op(0x85, 'R', '.').Bytes()
	hostileStack := (&pickleWriter{}).op(0x80, 4).op(0x8c, 8).op([]byte("builtins")...).op(0x8c, 4).op([]byte("eval")...).
		op(0x93).str("1").op(0x85, 'R', '.').Bytes()
	// A forbidden global nested as the value of a state-dict entry.
	nested := (&pickleWriter{}).op(0x80, 2).global("collections", "OrderedDict").op(')', 'R').
		str("w").global("subprocess", "Popen").op('(').str("ls").op('t', 'R', 's', '.').Bytes()
	withTop := func(pkl []byte) []byte { return torchArchive(t, "archive", pkl, four) }
	listTop := (&pickleWriter{}).op(0x80, 2, ']', '.').Bytes()
	intValue := (&pickleWriter{}).op(0x80, 2, '}').str("w").int(3).op('s', '.').Bytes()
	intKey := (&pickleWriter{}).op(0x80, 2, '}').int(3).tensor(f32("", "0", 4, 0, []int64{4}, []int64{1})).op('s', '.').Bytes()
	dup := statePickle([]testTensor{f32("w", "0", 4, 0, []int64{4}, []int64{1}), f32("w", "0", 4, 0, []int64{4}, []int64{1})})
	goodZip := withTop(good)

	cases := []struct {
		name string
		data []byte
		want []string
		is   error
	}{
		{name: "empty file", data: nil, want: []string{"not a torch.save zip archive"}},
		{name: "truncated zip", data: goodZip[:len(goodZip)/2], want: []string{"not a torch.save zip archive"}},
		{name: "legacy format", data: append(append([]byte(nil), legacyMagic...), 0x2e),
			want: []string{"legacy (pre-1.6, non-zip) torch.save format"}, is: ErrLegacyTorchFormat},
		{name: "no data.pkl", data: zipRecords(t, []record{{name: "archive/version", data: []byte("3")}}),
			want: []string{"0 <folder>/data.pkl records", "not a torch.save state dict"}},
		{name: "two data.pkl", data: zipRecords(t, []record{{name: "a/data.pkl", data: good}, {name: "b/data.pkl", data: good}}),
			want: []string{"2 <folder>/data.pkl records"}},
		{name: "big-endian", data: zipRecords(t, []record{{name: "archive/data.pkl", data: good}, {name: "archive/byteorder", data: []byte("big")}}),
			want: []string{`byte order "big"`}},
		{name: "missing storage", data: torchArchive(t, "archive", good, nil),
			want: []string{`storage "0" has no record archive/data/0`, `tensor "w"`}},
		{name: "storage size mismatch", data: torchArchive(t, "archive", good, map[string][]byte{"0": make([]byte, 12)}),
			want: []string{`storage "0" of 4 × F32 needs 16 bytes`, "holds 12", `tensor "w"`}},
		{name: "compressed storage", data: zipRecords(t, []record{{name: "archive/data.pkl", data: good}, {name: "archive/data/0", data: make([]byte, 16), deflate: true}}),
			want: []string{"archive/data/0 is compressed"}},
		{name: "offset past the end", data: withTop(statePickle([]testTensor{f32("w", "0", 4, 3, []int64{2}, []int64{1})})),
			want: []string{`tensor "w"`, "storage offset 3, shape [2], stride [1] reach element 4", "holds 4 × F32"}},
		{name: "stride past the end", data: withTop(statePickle([]testTensor{f32("w", "0", 4, 0, []int64{2, 2}, []int64{3, 1})})),
			want: []string{`tensor "w"`, "reach element 4"}},
		{name: "huge shape", data: withTop(statePickle([]testTensor{f32("w", "0", 4, 0, []int64{1 << 40, 1 << 40}, []int64{1 << 40, 1})})),
			want: []string{`tensor "w"`, "overflows"}},
		{name: "huge broadcast shape", data: withTop(statePickle([]testTensor{f32("w", "0", 4, 0, []int64{1 << 30, 1 << 30}, []int64{1, 1})})),
			want: []string{`tensor "w"`, "reach element"}},
		{name: "expanded view", data: withTop(statePickle([]testTensor{f32("w", "0", 4, 0, []int64{1 << 40}, []int64{0})})),
			want: []string{`tensor "w"`, "a view of 1099511627776 elements over storage \"0\" of 4 overlaps itself"}},
		{name: "negative shape", data: withTop(statePickle([]testTensor{f32("w", "0", 4, 0, []int64{-2}, []int64{1})})),
			want: []string{`tensor "w"`, "negative"}},
		{name: "negative offset", data: withTop(statePickle([]testTensor{f32("w", "0", 4, -1, []int64{2}, []int64{1})})),
			want: []string{`tensor "w"`, "negative storage offset -1"}},
		{name: "rank mismatch", data: withTop(statePickle([]testTensor{f32("w", "0", 4, 0, []int64{2, 2}, []int64{1})})),
			want: []string{`tensor "w"`, "differ in rank"}},
		{name: "unknown storage dtype", data: withTop(statePickle([]testTensor{{name: "w", storageType: "ComplexFloatStorage", key: "0", numel: 2, size: []int64{2}, stride: []int64{1}}})),
			want: []string{`"torch.ComplexFloatStorage"`, "not allowed"}, is: ErrForbiddenGlobal},
		{name: "storage dtypes disagree", data: withTop(statePickle([]testTensor{f32("a", "0", 4, 0, []int64{4}, []int64{1}),
			{name: "b", storageType: "HalfStorage", key: "0", numel: 8, size: []int64{8}, stride: []int64{1}}})),
			want: []string{`storage "0" is referred to as 4 × F32 and as 8 × F16`, `tensor "b"`}},
		{name: "hostile REDUCE os.system", data: withTop(hostileReduce),
			want: []string{`"os.system"`, "not allowed", "nothing in the file is executed"}, is: ErrForbiddenGlobal},
		{name: "hostile STACK_GLOBAL builtins.eval", data: withTop(hostileStack),
			want: []string{`"builtins.eval"`, "not allowed"}, is: ErrForbiddenGlobal},
		{name: "hostile global inside the dict", data: withTop(nested),
			want: []string{`"subprocess.Popen"`}, is: ErrForbiddenGlobal},
		{name: "deeply nested persistent id", data: withTop(append(append([]byte{0x80, 2, ')'}, bytes.Repeat([]byte{0x85}, 1<<20)...), 'Q', '.')),
			want: []string{"persistent id (((tuple of 1)))", "is not a torch storage reference"}},
		{name: "not a dict", data: withTop(listTop), want: []string{"archive/data.pkl holds a list, not a state dict"}},
		{name: "value not a tensor", data: withTop(intValue), want: []string{`state dict entry "w" is not a tensor but a value of type int`}},
		{name: "key not a string", data: withTop(intKey), want: []string{"state dict key 3 is not a string"}},
		{name: "duplicate name", data: withTop(dup), want: []string{`duplicate tensor name "w"`}},
		{name: "truncated pickle", data: withTop(good[:len(good)-1]), want: []string{"archive/data.pkl", "no STOP opcode"}},
		{name: "unsupported opcode", data: withTop([]byte{0x80, 2, 'i', 'x', '\n'}), want: []string{"unsupported pickle opcode 0x69"}},
		{name: "stack underflow", data: withTop([]byte{0x80, 2, 'R', '.'}), want: []string{"stack underflow"}},
		{name: "memo never stored", data: withTop([]byte{0x80, 2, 'h', 9, '.'}), want: []string{"memo index 9 was never stored"}},
		{name: "newer pickle protocol", data: withTop([]byte{0x80, 6, ')', '.'}), want: []string{"pickle protocol 6"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, path, err := openTorchBytes(t, c.data)
			if err == nil {
				s.Close()
			}
			assertErr(t, err, append([]string{path}, c.want...)...)
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v does not wrap %v", err, c.is)
			}
		})
	}
}

// TestTorchNonFloatDType: integer tensors are listed but refused by the
// float conversions, as in safetensors.
func TestTorchNonFloatDType(t *testing.T) {
	ids := testTensor{name: "position_ids", storageType: "LongStorage", key: "0", numel: 3, size: []int64{1, 3}, stride: []int64{3, 1}}
	s, path, err := openTorchBytes(t, torchArchive(t, "archive", statePickle([]testTensor{ids}), map[string][]byte{"0": make([]byte, 24)}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	info, err := s.Info("position_ids")
	if err != nil || info.DType != "I64" || !reflect.DeepEqual(info.Shape, []int{1, 3}) {
		t.Errorf("Info = %+v, %v", info, err)
	}
	_, err = s.Float32("position_ids")
	assertErr(t, err, path, `"position_ids"`, "I64 cannot be converted")
}

// TestOpenPrefersSafetensors: a folder with both formats is read from
// safetensors; pytorch_model.bin only when nothing else is there.
func TestOpenPrefersSafetensors(t *testing.T) {
	dir := t.TempDir()
	bin := torchArchive(t, "archive", statePickle([]testTensor{{name: "from_bin", storageType: "FloatStorage", key: "0", numel: 1, size: []int64{1}, stride: []int64{1}}}),
		map[string][]byte{"0": f32Bytes(2)})
	if err := os.WriteFile(filepath.Join(dir, TorchFile), bin, 0o644); err != nil {
		t.Fatal(err)
	}
	names := func() []string {
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		return s.Names()
	}
	if got := names(); !reflect.DeepEqual(got, []string{"from_bin"}) {
		t.Errorf("bin only: Names() = %v", got)
	}
	writeSafetensors(t, filepath.Join(dir, SafetensorsFile), `{"from_st":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4))
	if got := names(); !reflect.DeepEqual(got, []string{"from_st"}) {
		t.Errorf("both: Names() = %v, want the safetensors tensors", got)
	}
}

// TestConvertStridedMatchesNaive compares the tiled gather with computing
// each element's storage index directly, for shapes that are not multiples
// of the tile and for every float dtype.
func TestConvertStridedMatchesNaive(t *testing.T) {
	src := make([]byte, 4*2000)
	for i := range src {
		src[i] = byte(i*7 + i/5)
	}
	cases := []struct {
		offset         int
		shape, strides []int
	}{
		{0, []int{13, 19}, []int{1, 13}},
		{3, []int{19, 13}, []int{20, 1}},
		{5, []int{9, 17}, []int{2, 30}},
		{1, []int{3, 5, 11}, []int{1, 3, 15}},
		{0, []int{4, 3, 2, 5}, []int{1, 100, 300, 4}},
		{7, []int{29}, []int{3}},
	}
	for _, dt := range []DType{F32, F16, BF16} {
		es := dtypeBytes(dt)
		for _, c := range cases {
			n := 1
			for _, d := range c.shape {
				n *= d
			}
			want := make([]float32, n)
			idx := make([]int, len(c.shape))
			for out := range want {
				rem, at := out, c.offset
				for k := len(c.shape) - 1; k >= 0; k-- {
					idx[k] = rem % c.shape[k]
					rem /= c.shape[k]
					at += idx[k] * c.strides[k]
				}
				convertPortable(want[out:out+1], src[at*es:], dt)
			}
			got := make([]float32, n)
			convertStrided(got, src, dt, es, c.offset, c.shape, c.strides)
			if i := firstBitDifference(got, want); i >= 0 {
				t.Errorf("%s shape %v strides %v offset %d: element %d = %#x, want %#x", dt, c.shape, c.strides, c.offset, i, got[i], want[i])
			}
		}
	}
}
