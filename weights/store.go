package weights

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/gembed-dev/gembed/modelfolder"
)

// ErrNotFound is wrapped by every error about a tensor name the checkpoint
// does not have.
var ErrNotFound = errors.New("tensor not found")

// ErrClosed is returned by a Store used after Close.
var ErrClosed = errors.New("weights store is closed")

// TensorInfo describes one tensor. Name is as stored in the checkpoint (the
// architectures know their prefixes); File is the path of the file holding it.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int
	File  string
}

// Elems is the number of elements (the product of Shape; 1 for a scalar).
func (t TensorInfo) Elems() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

type mappedFile struct {
	path  string
	data  []byte // whole file (mapped, or read where mmap is unavailable)
	body  []byte // data section, after the header
	unmap func() error
}

type entry struct {
	info TensorInfo
	raw  string // name as stored in the file
	file *mappedFile
	rawTensor
}

// Store is an opened checkpoint: headers validated, files mapped, nothing
// converted yet. It is safe for concurrent readers; Close waits for them.
type Store struct {
	mu      sync.RWMutex
	closed  bool
	files   []*mappedFile
	tensors map[string]*entry
	names   []string
}

// Open opens the weights of a model folder: model.safetensors if present,
// else model.safetensors.index.json and the shards it names.
func Open(dir string) (*Store, error) {
	w, err := modelfolder.ReadWeights(dir)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	if w.Single != "" {
		return OpenFile(w.Single)
	}
	indexPath, weightMap, shards := w.Index, w.WeightMap, w.Shards
	// One tensor per shard, for error messages.
	shardTensor := map[string]string{}
	for name, shard := range weightMap {
		if cur, ok := shardTensor[shard]; !ok || name < cur {
			shardTensor[shard] = name
		}
	}

	s := &Store{}
	inShard := map[string]map[string]bool{}
	for _, shard := range shards {
		path := filepath.Join(dir, filepath.FromSlash(shard))
		if _, err := os.Stat(path); err != nil {
			s.Close()
			return nil, fmt.Errorf("weights: %s names shard %s (for tensor %q), which cannot be opened: %w",
				indexPath, path, shardTensor[shard], err)
		}
		raws, err := s.addFile(path)
		if err != nil {
			s.Close()
			return nil, err
		}
		set := make(map[string]bool, len(raws))
		for _, t := range raws {
			set[t.name] = true
		}
		inShard[shard] = set
	}
	names := make([]string, 0, len(weightMap))
	for name := range weightMap {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		shard := weightMap[name]
		if !inShard[shard][name] {
			s.Close()
			return nil, fmt.Errorf("weights: %s: tensor %q is mapped to %s, which does not contain it",
				indexPath, name, filepath.Join(dir, filepath.FromSlash(shard)))
		}
	}
	s.index()
	return s, nil
}

// OpenFile opens a single .safetensors file.
func OpenFile(path string) (*Store, error) {
	s := &Store{}
	if _, err := s.addFile(path); err != nil {
		s.Close()
		return nil, err
	}
	s.index()
	return s, nil
}

// addFile maps and validates one file and keeps its tensors for index.
func (s *Store) addFile(path string) ([]rawTensor, error) {
	data, unmap, err := mapFile(path)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err) // *PathError names the file
	}
	return s.addData(path, data, unmap)
}

// addData validates a whole file's bytes; the Store owns unmap from here on.
func (s *Store) addData(path string, data []byte, unmap func() error) ([]rawTensor, error) {
	f := &mappedFile{path: path, data: data, unmap: unmap}
	s.files = append(s.files, f)
	header, body, err := splitFile(path, data)
	if err != nil {
		return nil, err
	}
	f.body = body
	raws, err := parseHeader(path, header, int64(len(body)))
	if err != nil {
		return nil, err
	}
	if s.tensors == nil {
		s.tensors = map[string]*entry{}
	}
	for _, t := range raws {
		if prev, ok := s.tensors[t.name]; ok {
			return nil, fmt.Errorf("weights: duplicate tensor name: %q in %s and %s",
				t.name, path, prev.file.path)
		}
		s.tensors[t.name] = &entry{
			info:      TensorInfo{Name: t.name, DType: t.dtype, Shape: t.shape, File: path},
			raw:       t.name,
			file:      f,
			rawTensor: t,
		}
	}
	return raws, nil
}

func (s *Store) index() {
	s.names = make([]string, 0, len(s.tensors))
	for name := range s.tensors {
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
}

// Files returns the paths of the safetensors files, in the order opened.
func (s *Store) Files() []string {
	out := make([]string, len(s.files))
	for i, f := range s.files {
		out[i] = f.path
	}
	return out
}

// Names returns the tensor names as stored, sorted.
func (s *Store) Names() []string { return append([]string(nil), s.names...) }

// Info describes a tensor.
func (s *Store) Info(name string) (TensorInfo, error) {
	e, err := s.lookup(name)
	if err != nil {
		return TensorInfo{}, err
	}
	info := e.info
	info.Shape = append([]int(nil), info.Shape...)
	return info, nil
}

func (s *Store) lookup(name string) (*entry, error) {
	e, ok := s.tensors[name]
	if !ok {
		return nil, fmt.Errorf("weights: tensor %q: %w", name, ErrNotFound)
	}
	return e, nil
}

func (e *entry) convertible() error {
	switch e.dtype {
	case F32, F16, BF16:
		return nil
	}
	return fmt.Errorf("weights: %s: tensor %q: dtype %s cannot be converted to float32", e.file.path, e.raw, e.dtype)
}

// Float32 returns a new slice with the tensor's values, converted exactly.
func (s *Store) Float32(name string) ([]float32, error) {
	e, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	dst := makeFloat32NoZero(e.info.Elems())
	if err := s.convertInto(e, dst); err != nil {
		return nil, err
	}
	return dst, nil
}

// Float32Into converts the tensor into dst, whose length must equal the
// tensor's element count.
func (s *Store) Float32Into(name string, dst []float32) error {
	e, err := s.lookup(name)
	if err != nil {
		return err
	}
	if n := e.info.Elems(); len(dst) != n {
		return fmt.Errorf("weights: tensor %q has %d elements (shape %v), destination holds %d", name, n, e.shape, len(dst))
	}
	return s.convertInto(e, dst)
}

// parallelMin is the tensor size (elements) from which conversion is split
// across cores; below it goroutines cost more than they save.
const parallelMin = 1 << 18

func (s *Store) convertInto(e *entry, dst []float32) error {
	if err := e.convertible(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	src := e.file.body[e.begin:e.end]
	n := len(dst)
	workers := runtime.GOMAXPROCS(0)
	if n < parallelMin || workers == 1 {
		convert(dst, src, e.dtype)
		return nil
	}
	// Chunks of a few MB, handed out in order, keep the page-cache reads of
	// the mapping roughly sequential.
	const chunk = 1 << 20
	chunks := (n + chunk - 1) / chunk
	var wg sync.WaitGroup
	next := make(chan int, chunks)
	for c := 0; c < chunks; c++ {
		next <- c
	}
	close(next)
	for w := 0; w < min(workers, chunks); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				lo, hi := c*chunk, min((c+1)*chunk, n)
				convert(dst[lo:hi], src[lo*e.elemSize:hi*e.elemSize], e.dtype)
			}
		}()
	}
	wg.Wait()
	return nil
}

// GatherRows converts the given rows of a 2-D tensor (an embedding lookup)
// straight from the mapping into dst, row after row; len(dst) must be
// len(rows)·columns.
func (s *Store) GatherRows(name string, rows []int, dst []float32) error {
	e, err := s.lookup(name)
	if err != nil {
		return err
	}
	if len(e.shape) != 2 {
		return fmt.Errorf("weights: tensor %q: GatherRows needs a 2-D tensor, shape is %v", name, e.shape)
	}
	if err := e.convertible(); err != nil {
		return err
	}
	nrows, cols := e.shape[0], e.shape[1]
	if len(dst) != len(rows)*cols {
		return fmt.Errorf("weights: tensor %q: %d rows of %d need %d floats, destination holds %d",
			name, len(rows), cols, len(rows)*cols, len(dst))
	}
	for i, r := range rows {
		if r < 0 || r >= nrows {
			return fmt.Errorf("weights: tensor %q: row %d (index %d) out of range [0, %d)", name, r, i, nrows)
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	rowBytes := cols * e.elemSize
	src := e.file.body[e.begin:e.end]
	for i, r := range rows {
		convert(dst[i*cols:(i+1)*cols], src[r*rowBytes:(r+1)*rowBytes], e.dtype)
	}
	return nil
}

// Close unmaps the files. Conversions in flight finish first; later calls
// return ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for _, f := range s.files {
		if f.unmap != nil {
			if err := f.unmap(); err != nil {
				errs = append(errs, fmt.Errorf("weights: unmapping %s: %w", f.path, err))
			}
		}
		f.data, f.body = nil, nil
	}
	return errors.Join(errs...)
}
