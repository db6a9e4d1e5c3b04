package weights

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// This file is a minimal unpickler for the data.pkl of a torch.save archive.
// It understands the opcodes Python's pickler emits for a state dict
// (protocols 2 to 5) and resolves only the globals torch.save writes for
// tensors; it never calls anything. Every other global is refused when the
// opcode naming it is read, before any REDUCE could use it.

// pyGlobal is an allowed global, by its module and name.
type pyGlobal struct{ module, name string }

func (g pyGlobal) String() string { return g.module + "." + g.name }

// The globals a torch.save state dict may name. Storage types map to the
// safetensors dtype name of their elements.
var (
	globalOrderedDict     = pyGlobal{"collections", "OrderedDict"}
	globalRebuildTensor   = pyGlobal{"torch._utils", "_rebuild_tensor"}
	globalRebuildTensorV2 = pyGlobal{"torch._utils", "_rebuild_tensor_v2"}
	globalRebuildParam    = pyGlobal{"torch._utils", "_rebuild_parameter"}
	globalRebuildParamSt  = pyGlobal{"torch._utils", "_rebuild_parameter_with_state"}

	storageDTypes = map[string]DType{
		"FloatStorage": F32, "HalfStorage": F16, "BFloat16Storage": BF16,
		"DoubleStorage": "F64", "LongStorage": "I64", "IntStorage": "I32", "ShortStorage": "I16",
		"CharStorage": "I8", "ByteStorage": "U8", "BoolStorage": "BOOL",
	}
)

func allowedGlobal(g pyGlobal) bool {
	switch g {
	case globalOrderedDict, globalRebuildTensor, globalRebuildTensorV2, globalRebuildParam, globalRebuildParamSt:
		return true
	}
	_, ok := storageDTypes[g.name]
	return ok && g.module == "torch"
}

// ErrForbiddenGlobal is wrapped by the error about a pickle that names a
// global outside the tensor-rebuilding ones torch.save uses.
var ErrForbiddenGlobal = errors.New("pickle global not allowed")

// The values the unpickler builds.
type (
	pyTuple []any
	pyList  struct{ items []any }
	// pyDict keeps insertion order (a state dict's order) and any key type.
	pyDict struct{ keys, values []any }
	// storageRef is a persistent id: ('storage', torch.XStorage, key, location, numel).
	storageRef struct {
		dtype DType
		key   string
		numel int64
	}
	// torchTensor is what _rebuild_tensor(_v2) returns: a view of a storage.
	torchTensor struct {
		storage *storageRef
		offset  int64
		size    []int64
		stride  []int64
	}
)

func (d *pyDict) set(k, v any) {
	d.keys = append(d.keys, k)
	d.values = append(d.values, v)
}

// pickleLimit bounds the memo and the stack: a state dict needs a few
// entries per tensor, so these only stop hostile inputs from growing
// without bound through DUP or BINGET.
const pickleLimit = 1 << 22

type unpickler struct {
	data  []byte
	pos   int
	stack []any
	marks []int
	memo  map[uint32]any
}

// unpickle evaluates a pickle and returns its top-level object.
func unpickle(data []byte) (any, error) {
	u := &unpickler{data: data, memo: map[uint32]any{}}
	v, err := u.run()
	if err != nil {
		return nil, err
	}
	return v, nil
}

func (u *unpickler) errorf(format string, args ...any) error {
	return fmt.Errorf("pickle byte %d: "+format, append([]any{u.pos}, args...)...)
}

func (u *unpickler) take(n int) ([]byte, error) {
	if n < 0 || n > len(u.data)-u.pos {
		return nil, u.errorf("truncated: %d more bytes needed, %d left", n, len(u.data)-u.pos)
	}
	b := u.data[u.pos : u.pos+n]
	u.pos += n
	return b, nil
}

func (u *unpickler) uint(n int) (uint64, error) {
	b, err := u.take(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

func (u *unpickler) line() (string, error) {
	i := bytes.IndexByte(u.data[u.pos:], '\n')
	if i < 0 {
		return "", u.errorf("truncated: no end of line")
	}
	s := string(u.data[u.pos : u.pos+i])
	u.pos += i + 1
	return s, nil
}

func (u *unpickler) push(v any) error {
	if len(u.stack) >= pickleLimit {
		return u.errorf("stack deeper than %d", pickleLimit)
	}
	u.stack = append(u.stack, v)
	return nil
}

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) == u.marks[len(u.marks)-1]) {
		return nil, u.errorf("stack underflow")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) == u.marks[len(u.marks)-1]) {
		return nil, u.errorf("stack underflow")
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark returns the items pushed since the last MARK and drops the mark.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, u.errorf("no mark on the stack")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any(nil), u.stack[m:]...)
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) memoPut(i uint64) error {
	if i >= pickleLimit {
		return u.errorf("memo index %d beyond %d", i, pickleLimit)
	}
	v, err := u.top()
	if err != nil {
		return err
	}
	u.memo[uint32(i)] = v
	return nil
}

func (u *unpickler) memoGet(i uint64) error {
	v, ok := u.memo[uint32(i)]
	if !ok || i >= pickleLimit {
		return u.errorf("memo index %d was never stored", i)
	}
	return u.push(v)
}

func (u *unpickler) global(module, name string) error {
	g := pyGlobal{module, name}
	if !allowedGlobal(g) {
		return fmt.Errorf("pickle byte %d: %q: %w (only the tensor-rebuilding globals of torch.save are read; nothing in the file is executed)",
			u.pos, g.String(), ErrForbiddenGlobal)
	}
	return u.push(g)
}

func (u *unpickler) run() (any, error) {
	for {
		if u.pos >= len(u.data) {
			return nil, u.errorf("truncated: no STOP opcode")
		}
		op := u.data[u.pos]
		u.pos++
		var err error
		switch op {
		case 0x80: // PROTO
			var p []byte
			if p, err = u.take(1); err == nil && p[0] > 5 {
				err = u.errorf("pickle protocol %d is newer than 5", p[0])
			}
		case 0x95: // FRAME: a length hint only
			_, err = u.take(8)
		case '.': // STOP
			v, err := u.pop()
			if err != nil {
				return nil, err
			}
			return v, nil
		case '(': // MARK
			// Marks live beside the stack, as stack heights.
			if len(u.marks) >= pickleLimit {
				err = u.errorf("more than %d marks", pickleLimit)
			} else {
				u.marks = append(u.marks, len(u.stack))
			}
		case '0': // POP
			if len(u.marks) > 0 && len(u.stack) == u.marks[len(u.marks)-1] {
				u.marks = u.marks[:len(u.marks)-1]
			} else {
				_, err = u.pop()
			}
		case '1': // POP_MARK
			_, err = u.popMark()
		case '2': // DUP
			var v any
			if v, err = u.top(); err == nil {
				err = u.push(v)
			}
		case 'N':
			err = u.push(nil)
		case 0x88:
			err = u.push(true)
		case 0x89:
			err = u.push(false)
		case 'J': // BININT
			var v uint64
			if v, err = u.uint(4); err == nil {
				err = u.push(int64(int32(uint32(v))))
			}
		case 'K': // BININT1
			var v uint64
			if v, err = u.uint(1); err == nil {
				err = u.push(int64(v))
			}
		case 'M': // BININT2
			var v uint64
			if v, err = u.uint(2); err == nil {
				err = u.push(int64(v))
			}
		case 0x8a: // LONG1: little-endian two's complement
			var n uint64
			if n, err = u.uint(1); err == nil {
				err = u.long(int(n))
			}
		case 0x8b: // LONG4
			var n uint64
			if n, err = u.uint(4); err == nil {
				err = u.long(int(n))
			}
		case 'G': // BINFLOAT, big-endian
			var b []byte
			if b, err = u.take(8); err == nil {
				err = u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
			}
		case 'X', 'T': // BINUNICODE, BINSTRING
			err = u.str(4)
		case 0x8c, 'U': // SHORT_BINUNICODE, SHORT_BINSTRING
			err = u.str(1)
		case 0x8d: // BINUNICODE8
			err = u.str(8)
		case 'C': // SHORT_BINBYTES
			err = u.str(1)
		case 'B': // BINBYTES
			err = u.str(4)
		case ')':
			err = u.push(pyTuple{})
		case 't': // TUPLE
			var items []any
			if items, err = u.popMark(); err == nil {
				err = u.push(pyTuple(items))
			}
		case 0x85, 0x86, 0x87: // TUPLE1..3
			n := int(op - 0x84)
			t := make(pyTuple, n)
			for i := n - 1; i >= 0 && err == nil; i-- {
				t[i], err = u.pop()
			}
			if err == nil {
				err = u.push(t)
			}
		case ']':
			err = u.push(&pyList{})
		case 'l': // LIST
			var items []any
			if items, err = u.popMark(); err == nil {
				err = u.push(&pyList{items: items})
			}
		case 'a': // APPEND
			var v, l any
			if v, err = u.pop(); err == nil {
				if l, err = u.top(); err == nil {
					err = u.appendTo(l, v)
				}
			}
		case 'e': // APPENDS
			var items []any
			if items, err = u.popMark(); err == nil {
				var l any
				if l, err = u.top(); err == nil {
					for _, v := range items {
						if err = u.appendTo(l, v); err != nil {
							break
						}
					}
				}
			}
		case '}':
			err = u.push(&pyDict{})
		case 'd': // DICT
			var items []any
			if items, err = u.popMark(); err == nil {
				d := &pyDict{}
				if err = u.setItems(d, items); err == nil {
					err = u.push(d)
				}
			}
		case 's': // SETITEM
			var k, v, d any
			if v, err = u.pop(); err == nil {
				if k, err = u.pop(); err == nil {
					if d, err = u.top(); err == nil {
						err = u.setItems(d, []any{k, v})
					}
				}
			}
		case 'u': // SETITEMS
			var items []any
			if items, err = u.popMark(); err == nil {
				var d any
				if d, err = u.top(); err == nil {
					err = u.setItems(d, items)
				}
			}
		case 'q': // BINPUT
			var i uint64
			if i, err = u.uint(1); err == nil {
				err = u.memoPut(i)
			}
		case 'r': // LONG_BINPUT
			var i uint64
			if i, err = u.uint(4); err == nil {
				err = u.memoPut(i)
			}
		case 0x94: // MEMOIZE
			err = u.memoPut(uint64(len(u.memo)))
		case 'h': // BINGET
			var i uint64
			if i, err = u.uint(1); err == nil {
				err = u.memoGet(i)
			}
		case 'j': // LONG_BINGET
			var i uint64
			if i, err = u.uint(4); err == nil {
				err = u.memoGet(i)
			}
		case 'c': // GLOBAL: "module\nname\n"
			var module, name string
			if module, err = u.line(); err == nil {
				if name, err = u.line(); err == nil {
					err = u.global(module, name)
				}
			}
		case 0x93: // STACK_GLOBAL
			var m, n any
			if n, err = u.pop(); err == nil {
				if m, err = u.pop(); err == nil {
					module, ok1 := m.(string)
					name, ok2 := n.(string)
					if !ok1 || !ok2 {
						err = u.errorf("STACK_GLOBAL needs two strings")
					} else {
						err = u.global(module, name)
					}
				}
			}
		case 'Q': // BINPERSID
			var pid any
			if pid, err = u.pop(); err == nil {
				var ref *storageRef
				if ref, err = u.persistentLoad(pid); err == nil {
					err = u.push(ref)
				}
			}
		case 'R': // REDUCE
			var args, fn any
			if args, err = u.pop(); err == nil {
				if fn, err = u.pop(); err == nil {
					var v any
					if v, err = u.reduce(fn, args); err == nil {
						err = u.push(v)
					}
				}
			}
		case 'b': // BUILD: sets attributes (a state dict's _metadata); dropped
			var state, obj any
			if state, err = u.pop(); err == nil {
				if obj, err = u.top(); err == nil {
					switch obj.(type) {
					case *pyDict, *torchTensor:
						_ = state
					default:
						err = u.errorf("BUILD on a %s", typeName(obj))
					}
				}
			}
		default:
			u.pos--
			return nil, u.errorf("unsupported pickle opcode 0x%02x", op)
		}
		if err != nil {
			return nil, err
		}
	}
}

func (u *unpickler) long(n int) error {
	b, err := u.take(n)
	if err != nil {
		return err
	}
	if n > 8 {
		return u.errorf("integer of %d bytes does not fit in 64 bits", n)
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	if n > 0 && n < 8 && b[n-1]&0x80 != 0 { // sign-extend
		v |= ^uint64(0) << (8 * n)
	}
	return u.push(int64(v))
}

func (u *unpickler) str(lenBytes int) error {
	n, err := u.uint(lenBytes)
	if err != nil {
		return err
	}
	if n > uint64(len(u.data)-u.pos) {
		return u.errorf("truncated: string of %d bytes, %d left", n, len(u.data)-u.pos)
	}
	b, _ := u.take(int(n))
	return u.push(string(b))
}

func (u *unpickler) appendTo(l, v any) error {
	list, ok := l.(*pyList)
	if !ok {
		return u.errorf("APPEND to a %s", typeName(l))
	}
	list.items = append(list.items, v)
	return nil
}

func (u *unpickler) setItems(d any, kv []any) error {
	dict, ok := d.(*pyDict)
	if !ok {
		return u.errorf("SETITEM on a %s", typeName(d))
	}
	if len(kv)%2 != 0 {
		return u.errorf("odd number of items for a dict")
	}
	for i := 0; i < len(kv); i += 2 {
		dict.set(kv[i], kv[i+1])
	}
	return nil
}

// persistentLoad resolves torch.save's storage reference
// ('storage', torch.XStorage, key, location, numel).
func (u *unpickler) persistentLoad(pid any) (*storageRef, error) {
	t, ok := pid.(pyTuple)
	if !ok || len(t) != 5 || t[0] != "storage" {
		return nil, u.errorf("persistent id %s is not a torch storage reference", describe(pid))
	}
	typ, ok := t[1].(pyGlobal)
	dtype, known := storageDTypes[typ.name]
	if !ok || !known {
		return nil, u.errorf("persistent id names storage type %s", describe(t[1]))
	}
	key, ok1 := t[2].(string)
	numel, ok2 := t[4].(int64)
	if !ok1 || !ok2 || numel < 0 {
		return nil, u.errorf("storage reference %s needs a string key and a non-negative element count", describe(pid))
	}
	return &storageRef{dtype: dtype, key: key, numel: numel}, nil
}

// reduce applies an allowed global to its arguments.
func (u *unpickler) reduce(fn, args any) (any, error) {
	g, ok := fn.(pyGlobal)
	if !ok {
		return nil, u.errorf("REDUCE calls a %s", typeName(fn))
	}
	a, ok := args.(pyTuple)
	if !ok {
		return nil, u.errorf("REDUCE of %s with a %s for arguments", g, typeName(args))
	}
	switch g {
	case globalOrderedDict:
		if len(a) != 0 {
			return nil, u.errorf("%s with %d arguments", g, len(a))
		}
		return &pyDict{}, nil
	case globalRebuildTensor, globalRebuildTensorV2:
		// (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
		if len(a) < 4 {
			return nil, u.errorf("%s with %d arguments", g, len(a))
		}
		st, ok := a[0].(*storageRef)
		offset, ok2 := a[1].(int64)
		size, ok3 := ints(a[2])
		stride, ok4 := ints(a[3])
		if !ok || !ok2 || !ok3 || !ok4 {
			return nil, u.errorf("%s(%s, %s, %s, %s): want a storage, an offset and two tuples of integers",
				g, describe(a[0]), describe(a[1]), describe(a[2]), describe(a[3]))
		}
		return &torchTensor{storage: st, offset: offset, size: size, stride: stride}, nil
	case globalRebuildParam, globalRebuildParamSt:
		// (data, requires_grad, backward_hooks[, state]): the data is the tensor.
		if len(a) < 3 {
			return nil, u.errorf("%s with %d arguments", g, len(a))
		}
		t, ok := a[0].(*torchTensor)
		if !ok {
			return nil, u.errorf("%s of a %s", g, typeName(a[0]))
		}
		return t, nil
	}
	return nil, u.errorf("%s cannot be called", g)
}

func ints(v any) ([]int64, bool) {
	t, ok := v.(pyTuple)
	if !ok {
		return nil, false
	}
	out := make([]int64, len(t))
	for i, x := range t {
		if out[i], ok = x.(int64); !ok {
			return nil, false
		}
	}
	return out, true
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "string"
	case pyTuple:
		return "tuple"
	case *pyList:
		return "list"
	case *pyDict:
		return "dict"
	case pyGlobal:
		return "global " + v.(pyGlobal).String()
	case *storageRef:
		return "storage"
	case *torchTensor:
		return "tensor"
	}
	return fmt.Sprintf("%T", v)
}

// describe renders small values for error messages.
func describe(v any) string { return describeDepth(v, 3) }

// describeDepth stops at depth: a hostile pickle can nest tuples as deep as
// it is long.
func describeDepth(v any, depth int) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return strconv.Quote(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case pyTuple:
		if len(x) > 6 || depth == 0 {
			return fmt.Sprintf("tuple of %d", len(x))
		}
		s := "("
		for i, e := range x {
			if i > 0 {
				s += ", "
			}
			s += describeDepth(e, depth-1)
		}
		return s + ")"
	}
	return typeName(v)
}
