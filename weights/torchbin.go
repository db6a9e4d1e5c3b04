package weights

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sort"
	"strings"
)

// A pytorch_model.bin written by torch.save (PyTorch ≥ 1.6) is a zip archive:
// TOP/data.pkl pickles the state dict, whose tensors refer to storages
// stored uncompressed as TOP/data/KEY. TOP is whatever folder name the
// writer chose ("archive", "pytorch_model", ...).

// ErrLegacyTorchFormat is wrapped by the error about a checkpoint in the
// serialization torch.save used before PyTorch 1.6 (not a zip archive).
var ErrLegacyTorchFormat = errors.New("legacy (pre-1.6, non-zip) torch.save format is not supported")

// legacyMagic starts a legacy torch.save file: the pickled magic number
// 0x1950a86a20f9469cfc6c (protocol 2, LONG1 of 10 bytes).
var legacyMagic = []byte{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}

// maxPickleLen bounds data.pkl: a state dict's pickle is a few hundred bytes
// per tensor.
const maxPickleLen = 256 << 20

// isTorchFile reports whether a weights file is read as a torch.save
// archive rather than safetensors; the Hub names them *.bin.
func isTorchFile(path string) bool {
	return strings.HasSuffix(path, ".bin") || strings.HasSuffix(path, ".pt") || strings.HasSuffix(path, ".pth")
}

// storageRange is a storage's bytes inside the archive file.
type storageRange struct {
	ref        *storageRef
	begin, end int64
}

// parseTorchArchive validates a whole torch.save archive and returns its
// tensors sorted by name. Offsets are into data itself (the stored zip
// entries are read in place).
func parseTorchArchive(file string, data []byte) ([]rawTensor, error) {
	if bytes.HasPrefix(data, legacyMagic) {
		return nil, fmt.Errorf("weights: %s: %w; load it with torch and save it again (torch.save or safetensors)", file, ErrLegacyTorchFormat)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("weights: %s: not a torch.save zip archive: %w", file, err)
	}
	records := make(map[string]*zip.File, len(zr.File))
	var pkls []string
	for _, f := range zr.File {
		if _, dup := records[f.Name]; dup {
			return nil, fmt.Errorf("weights: %s: archive holds %s twice", file, f.Name)
		}
		records[f.Name] = f
		if top, rest, ok := strings.Cut(f.Name, "/"); ok && top != "" && rest == "data.pkl" {
			pkls = append(pkls, f.Name)
		}
	}
	if len(pkls) != 1 {
		return nil, fmt.Errorf("weights: %s: archive has %d <folder>/data.pkl records %v, want one: not a torch.save state dict", file, len(pkls), pkls)
	}
	prefix := strings.TrimSuffix(pkls[0], "data.pkl")
	if f := records[prefix+"byteorder"]; f != nil {
		order, err := readRecord(file, f, 16)
		if err != nil {
			return nil, err
		}
		if string(order) != "little" {
			return nil, fmt.Errorf("weights: %s: byte order %q is not supported (only little-endian)", file, order)
		}
	}
	pkl, err := readRecord(file, records[pkls[0]], maxPickleLen)
	if err != nil {
		return nil, err
	}
	top, err := unpickle(pkl)
	if err != nil {
		return nil, fmt.Errorf("weights: %s: %s: %w", file, pkls[0], err)
	}
	dict, ok := top.(*pyDict)
	if !ok {
		return nil, fmt.Errorf("weights: %s: %s holds a %s, not a state dict", file, pkls[0], typeName(top))
	}

	storages := map[string]*storageRange{}
	seen := make(map[string]bool, len(dict.keys))
	out := make([]rawTensor, 0, len(dict.keys))
	for i, k := range dict.keys {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("weights: %s: state dict key %s is not a string", file, describe(k))
		}
		if seen[name] {
			return nil, fmt.Errorf("weights: %s: duplicate tensor name %q in the state dict", file, name)
		}
		seen[name] = true
		t, ok := dict.values[i].(*torchTensor)
		if !ok {
			return nil, fmt.Errorf("weights: %s: state dict entry %q is not a tensor but a value of type %s", file, name, typeName(dict.values[i]))
		}
		st, err := storageOf(file, prefix, records, storages, t.storage, int64(len(data)))
		if err != nil {
			return nil, fmt.Errorf("%w (tensor %q)", err, name)
		}
		raw, err := viewOf(name, t, st)
		if err != nil {
			return nil, fmt.Errorf("weights: %s: tensor %q: %w", file, name, err)
		}
		out = append(out, raw)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// readRecord reads a small record whole (it may be compressed; the
// checksum is verified).
func readRecord(file string, f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("weights: %s: record %s of %d bytes exceeds the limit of %d", file, f.Name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("weights: %s: record %s: %w", file, f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("more than %d bytes", limit)
	}
	if err != nil {
		return nil, fmt.Errorf("weights: %s: record %s: %w", file, f.Name, err)
	}
	return b, nil
}

// storageOf locates a storage's bytes in the archive and checks them
// against what the pickle says (dtype, element count); every tensor of a
// shared storage must agree.
func storageOf(file, prefix string, records map[string]*zip.File, storages map[string]*storageRange,
	ref *storageRef, fileLen int64) (*storageRange, error) {
	if st, ok := storages[ref.key]; ok {
		if st.ref.dtype != ref.dtype || st.ref.numel != ref.numel {
			return nil, fmt.Errorf("weights: %s: storage %q is referred to as %d × %s and as %d × %s",
				file, ref.key, st.ref.numel, st.ref.dtype, ref.numel, ref.dtype)
		}
		return st, nil
	}
	name := prefix + "data/" + ref.key
	f := records[name]
	if f == nil {
		return nil, fmt.Errorf("weights: %s: storage %q has no record %s", file, ref.key, name)
	}
	if f.Method != zip.Store {
		return nil, fmt.Errorf("weights: %s: record %s is compressed (method %d); torch.save stores storages uncompressed", file, name, f.Method)
	}
	size := int64(dtypeBytes(ref.dtype))
	hi, nbytes := bits.Mul64(uint64(ref.numel), uint64(size))
	if hi != 0 || nbytes != f.UncompressedSize64 || f.CompressedSize64 != f.UncompressedSize64 {
		return nil, fmt.Errorf("weights: %s: storage %q of %d × %s needs %d bytes, record %s holds %d",
			file, ref.key, ref.numel, ref.dtype, nbytes, name, f.UncompressedSize64)
	}
	off, err := f.DataOffset()
	if err != nil {
		return nil, fmt.Errorf("weights: %s: record %s: %w", file, name, err)
	}
	if off < 0 || off > fileLen || nbytes > uint64(fileLen-off) {
		return nil, fmt.Errorf("weights: %s: record %s of %d bytes at offset %d runs past the end of the file (%d bytes)",
			file, name, nbytes, off, fileLen)
	}
	st := &storageRange{ref: ref, begin: off, end: off + int64(nbytes)}
	storages[ref.key] = st
	return st, nil
}

// dtypeBytes is the element size of every dtype a storage can have.
func dtypeBytes(d DType) int {
	switch d {
	case "F64", "I64":
		return 8
	case F32, "I32":
		return 4
	case F16, BF16, "I16":
		return 2
	}
	return 1
}

// viewOf checks a tensor's view (storage offset, shape, stride) against its
// storage. A row-major view becomes a plain byte range; any other keeps its
// strides and is gathered when converted.
func viewOf(name string, t *torchTensor, st *storageRange) (rawTensor, error) {
	if len(t.size) != len(t.stride) {
		return rawTensor{}, fmt.Errorf("shape %v and stride %v differ in rank", t.size, t.stride)
	}
	es := dtypeBytes(st.ref.dtype)
	shape := make([]int, len(t.size))
	strides := make([]int, len(t.size))
	nbytes := uint64(es)
	for i, d := range t.size {
		if d < 0 || t.stride[i] < 0 {
			return rawTensor{}, fmt.Errorf("shape %v, stride %v: negative entries", t.size, t.stride)
		}
		hi, lo := bits.Mul64(nbytes, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return rawTensor{}, fmt.Errorf("shape %v × %s overflows", t.size, st.ref.dtype)
		}
		nbytes = lo
		shape[i], strides[i] = int(d), int(t.stride[i])
	}
	if t.offset < 0 {
		return rawTensor{}, fmt.Errorf("negative storage offset %d", t.offset)
	}
	raw := rawTensor{name: name, dtype: st.ref.dtype, elemSize: es, shape: shape}
	if nbytes == 0 {
		raw.begin, raw.end = st.begin, st.begin
		return raw, nil
	}
	// The last element the view reaches must lie inside the storage.
	last := uint64(t.offset)
	for i, d := range t.size {
		hi, reach := bits.Mul64(uint64(d-1), uint64(t.stride[i]))
		if hi != 0 || reach > math.MaxInt64 || last+reach > math.MaxInt64 {
			return rawTensor{}, fmt.Errorf("storage offset %d, shape %v, stride %v overflow", t.offset, t.size, t.stride)
		}
		last += reach
	}
	if last >= uint64(st.ref.numel) {
		return rawTensor{}, fmt.Errorf("storage offset %d, shape %v, stride %v reach element %d of storage %q, which holds %d × %s",
			t.offset, t.size, t.stride, last, st.ref.key, st.ref.numel, st.ref.dtype)
	}
	// Only overlapping views (stride 0, expand) have more elements than
	// their storage; refusing them bounds what a caller allocates by the
	// file's size.
	if elems := nbytes / uint64(es); elems > uint64(st.ref.numel) {
		return rawTensor{}, fmt.Errorf("shape %v, stride %v: a view of %d elements over storage %q of %d overlaps itself (not supported)",
			t.size, t.stride, elems, st.ref.key, st.ref.numel)
	}
	if rowMajor(shape, strides) {
		raw.begin = st.begin + t.offset*int64(es)
		raw.end = raw.begin + int64(nbytes)
		return raw, nil
	}
	raw.begin, raw.end = st.begin, st.end
	raw.strides, raw.elemOffset = strides, int(t.offset)
	return raw, nil
}

// rowMajor reports whether strides are the contiguous ones for shape
// (a dimension of size 1 may have any stride).
func rowMajor(shape, strides []int) bool {
	want := 1
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 && strides[i] != want {
			return false
		}
		want *= shape[i]
	}
	return true
}

// convertStrided widens a strided view into dst (row-major): src is the
// whole storage and element (i₀, …, iₙ) sits at offset + Σ iₖ·strides[k].
// viewOf has checked every such element lies inside src.
func convertStrided(dst []float32, src []byte, dtype DType, es, offset int, shape, strides []int) {
	if len(dst) == 0 {
		return
	}
	if len(shape) == 0 {
		convertPortable(dst[:1], src[offset*es:], dtype)
		return
	}
	last := len(shape) - 1
	if strides[last] != 1 && last > 0 {
		// Matrix by matrix, in tiles: a transpose reads its source
		// column-wise, and tiles keep both sides in cache.
		rows, cols := shape[last-1], shape[last]
		forEachIndex(shape[:last-1], strides[:last-1], offset, rows*cols, func(out, base int) {
			gather2D(dst[out:out+rows*cols], src, dtype, base, rows, cols, strides[last-1], strides[last])
		})
		return
	}
	n := shape[last]
	forEachIndex(shape[:last], strides[:last], offset, n, func(out, base int) {
		if strides[last] == 1 {
			convert(dst[out:out+n], src[base*es:(base+n)*es], dtype)
		} else {
			gatherElems(dst[out:out+n], src, dtype, base, strides[last])
		}
	})
}

// forEachIndex calls f for every index of the outer dimensions shape, in
// row-major order, with the position of its block of block elements in the
// output and of its first element in the storage.
func forEachIndex(shape, strides []int, offset, block int, f func(out, base int)) {
	idx := make([]int, len(shape))
	for out := 0; ; out += block {
		base := offset
		for k, i := range idx {
			base += i * strides[k]
		}
		f(out, base)
		k := len(shape) - 1
		for ; k >= 0; k-- {
			if idx[k]++; idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}

// gather2D widens a rows×cols matrix whose element (i, j) sits at element
// base + i·rowStride + j·colStride of src, in 8×8 tiles: with power-of-two
// widths the rows of a tile are 4 KB apart and share one L1 set, so larger
// tiles evict themselves (32×32 measured 4× slower on a 1024² transpose).
func gather2D(dst []float32, src []byte, dtype DType, base, rows, cols, rowStride, colStride int) {
	const tile = 8
	at := elemReader(src, dtype)
	for i0 := 0; i0 < rows; i0 += tile {
		i1 := min(i0+tile, rows)
		for j0 := 0; j0 < cols; j0 += tile {
			j1 := min(j0+tile, cols)
			for j := j0; j < j1; j++ {
				for i := i0; i < i1; i++ {
					dst[i*cols+j] = at(base + i*rowStride + j*colStride)
				}
			}
		}
	}
}

// elemReader returns the widening of element i of src.
func elemReader(src []byte, dtype DType) func(i int) float32 {
	switch dtype {
	case F32:
		return func(i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(src[4*i : 4*i+4])) }
	case BF16:
		return func(i int) float32 {
			return math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:2*i+2])) << 16)
		}
	}
	t := f16Table()
	return func(i int) float32 { return t[binary.LittleEndian.Uint16(src[2*i:2*i+2])] }
}

// gatherElems widens len(dst) elements found every step elements from
// element base of src.
func gatherElems(dst []float32, src []byte, dtype DType, base, step int) {
	switch dtype {
	case F32:
		for j := range dst {
			p := 4 * (base + j*step)
			dst[j] = math.Float32frombits(binary.LittleEndian.Uint32(src[p : p+4]))
		}
	case BF16:
		for j := range dst {
			p := 2 * (base + j*step)
			dst[j] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[p:p+2])) << 16)
		}
	case F16:
		t := f16Table()
		for j := range dst {
			p := 2 * (base + j*step)
			dst[j] = t[binary.LittleEndian.Uint16(src[p:p+2])]
		}
	}
}
