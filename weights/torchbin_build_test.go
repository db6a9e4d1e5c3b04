package weights

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"sort"
	"testing"
)

// Test-only writers of torch.save-shaped archives, for malformed cases the
// real torch would never write. The goldens under testdata/golden/torchbin
// are the real torch's files.

// pickleWriter emits protocol-2 opcodes the way Python's pickler does.
type pickleWriter struct{ bytes.Buffer }

func (p *pickleWriter) op(b ...byte) *pickleWriter { p.Write(b); return p }

func (p *pickleWriter) str(s string) *pickleWriter {
	p.WriteByte('X')
	p.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(s))))
	p.WriteString(s)
	return p
}

func (p *pickleWriter) int(v int64) *pickleWriter {
	if v == int64(int32(v)) {
		p.WriteByte('J')
		p.Write(binary.LittleEndian.AppendUint32(nil, uint32(int32(v))))
		return p
	}
	p.Write([]byte{0x8a, 8})
	p.Write(binary.LittleEndian.AppendUint64(nil, uint64(v)))
	return p
}

func (p *pickleWriter) global(module, name string) *pickleWriter {
	p.WriteByte('c')
	p.WriteString(module + "\n" + name + "\n")
	return p
}

func (p *pickleWriter) tuple(vs []int64) *pickleWriter {
	p.op('(')
	for _, v := range vs {
		p.int(v)
	}
	return p.op('t')
}

// testTensor is one state-dict entry: a view of storage key.
type testTensor struct {
	name         string
	storageType  string // e.g. "FloatStorage"
	key          string
	numel        int64
	offset       int64
	size, stride []int64
}

// tensor emits _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()).
func (p *pickleWriter) tensor(t testTensor) *pickleWriter {
	p.global("torch._utils", "_rebuild_tensor_v2").op('(')
	p.op('(').str("storage").global("torch", t.storageType).str(t.key).str("cpu").int(t.numel).op('t', 'Q')
	p.int(t.offset).tuple(t.size).tuple(t.stride).op(0x89)
	p.global("collections", "OrderedDict").op(')', 'R')
	return p.op('t', 'R')
}

// statePickle is a whole data.pkl: an OrderedDict of the tensors.
func statePickle(tensors []testTensor) []byte {
	p := &pickleWriter{}
	p.op(0x80, 2).global("collections", "OrderedDict").op(')', 'R')
	for _, t := range tensors {
		p.str(t.name).tensor(t).op('s')
	}
	p.op('.')
	return p.Bytes()
}

// record is one zip entry; deflate compresses it.
type record struct {
	name    string
	data    []byte
	deflate bool
}

func zipRecords(t testing.TB, records []record) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, r := range records {
		method := zip.Store
		if r.deflate {
			method = zip.Deflate
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: r.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(r.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// torchArchive is a torch.save-shaped archive under folder top: data.pkl,
// the storages, and the byteorder record.
func torchArchive(t testing.TB, top string, pkl []byte, storages map[string][]byte) []byte {
	t.Helper()
	records := []record{{name: top + "/data.pkl", data: pkl}, {name: top + "/byteorder", data: []byte("little")}}
	for _, key := range sortedKeys(storages) {
		records = append(records, record{name: top + "/data/" + key, data: storages[key]})
	}
	records = append(records, record{name: top + "/version", data: []byte("3\n")})
	return zipRecords(t, records)
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// f32Bytes is little-endian float32 data.
func f32Bytes(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}
