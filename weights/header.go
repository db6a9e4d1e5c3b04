package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"sort"

	"github.com/nlpodyssey/safetensors"

	"github.com/gembed-dev/gembed/modelfolder"
)

// maxHeaderLen bounds the JSON header (the safetensors library uses the same
// limit); real checkpoints have headers of tens of KB.
const maxHeaderLen = 100 << 20

// rawTensor is one header entry after validation. Offsets are relative to
// the data section, which begins right after the header.
type rawTensor struct {
	name       string
	dtype      DType
	elemSize   int
	shape      []int
	begin, end int64
}

// splitFile returns the header JSON and the data section of a whole
// safetensors file, checking the 8-byte little-endian header length.
func splitFile(file string, data []byte) (header, body []byte, err error) {
	if len(data) < 8 {
		return nil, nil, fmt.Errorf("weights: %s: file of %d bytes is too short for a safetensors header", file, len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > uint64(len(data)-8) {
		return nil, nil, fmt.Errorf("weights: %s: header length %d exceeds the file size %d", file, n, len(data))
	}
	if n > maxHeaderLen {
		return nil, nil, fmt.Errorf("weights: %s: header length %d exceeds the limit of %d bytes", file, n, maxHeaderLen)
	}
	return data[8 : 8+n], data[8+n:], nil
}

// parseHeader validates a safetensors header against a data section of
// dataLen bytes and returns its tensors sorted by offset. The safetensors
// library decodes the entries; the checks that name the file and tensor at
// fault are ours.
func parseHeader(file string, header []byte, dataLen int64) ([]rawTensor, error) {
	// Safetensors pads the header with spaces; trailing NULs appear in the wild too.
	header = bytes.TrimRight(header, " \x00")
	if dup, err := modelfolder.DuplicateKey(header); err != nil {
		return nil, fmt.Errorf("weights: %s: header is not a JSON object: %w", file, err)
	} else if dup != "" {
		return nil, fmt.Errorf("weights: %s: duplicate tensor name %q in header", file, dup)
	}
	var md safetensors.Metadata
	if err := json.Unmarshal(header, &md); err != nil {
		return nil, fmt.Errorf("weights: %s: invalid safetensors header: %w", file, err)
	}
	infos := md.Tensors()
	names := make([]string, 0, len(infos))
	for name := range infos {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]rawTensor, 0, len(names))
	for _, name := range names {
		t, err := checkTensor(name, infos[name], dataLen)
		if err != nil {
			return nil, fmt.Errorf("weights: %s: tensor %q: %w", file, name, err)
		}
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].begin != out[j].begin {
			return out[i].begin < out[j].begin
		}
		return out[i].end < out[j].end
	})
	// Sorted by start: a tensor overlaps an earlier one exactly when it starts
	// before the furthest end seen so far.
	var furthest int64
	var furthestName string
	for _, t := range out {
		if t.begin < furthest && t.end > t.begin {
			return nil, fmt.Errorf("weights: %s: tensor %q: data_offsets [%d, %d] overlap tensor %q (ends at %d)",
				file, t.name, t.begin, t.end, furthestName, furthest)
		}
		if t.end > furthest {
			furthest, furthestName = t.end, t.name
		}
	}
	return out, nil
}

func checkTensor(name string, info *safetensors.TensorInfo, dataLen int64) (rawTensor, error) {
	dtype := DType(info.DType.String())
	size := info.DType.Size()
	begin, end := info.DataOffsets[0], info.DataOffsets[1]
	if end < begin {
		return rawTensor{}, fmt.Errorf("data_offsets [%d, %d] end before they begin", begin, end)
	}
	if end > uint64(dataLen) {
		return rawTensor{}, fmt.Errorf("data_offsets [%d, %d] beyond the data section of %d bytes", begin, end, dataLen)
	}
	shape := make([]int, len(info.Shape))
	nbytes := size
	for i, d := range info.Shape {
		hi, lo := bits.Mul64(nbytes, d)
		if hi != 0 || lo > math.MaxInt64 {
			return rawTensor{}, fmt.Errorf("shape %v × %s overflows", info.Shape, dtype)
		}
		nbytes = lo
		shape[i] = int(d)
	}
	if nbytes != end-begin {
		return rawTensor{}, fmt.Errorf("shape %v × %s (%d bytes each) = %d bytes, but data_offsets [%d, %d] span %d bytes",
			info.Shape, dtype, size, nbytes, begin, end, end-begin)
	}
	return rawTensor{name: name, dtype: dtype, elemSize: int(size), shape: shape, begin: int64(begin), end: int64(end)}, nil
}
