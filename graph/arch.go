package graph

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gembed-dev/gembed/layers"
	"github.com/gembed-dev/gembed/weights"
)

// Architecture is one model family's forward pass. Its weights are the
// *Param and *Table fields of the struct behind it, bound by struct tags:
//
//	Q *Param `hf:"self_attn.q_proj.weight" shape:"q,hidden"`
//	B *Param `hf:"self_attn.q_proj.bias" shape:"q" optional:"attention_bias"`
//	Layers []layer `hf:"layers.%d"`
//
// A matrix that is not the weight of a Linear layer carries dtype:"float32"
// so the BFloat16 mode leaves it float32.
// hf names the tensor (alternates separated by "|"); a struct or slice field's
// hf is a prefix for its fields ("%d" = element index; a slice must be made
// with its length by the family's New). shape gives the expected shape from
// Dims (or integer literals). optional:"" makes a tensor optional (a nil
// field when absent); optional:"name" binds it exactly when Dims()[name] is
// non-zero. The family's Prefixes are tried in front of every name.
type Architecture interface {
	// Dims resolves the names used in shape and optional tags.
	Dims() map[string]int
	// Forward composes the graph from the builder's input buffer to the final
	// hidden states [B·T, hidden] (embedding lookup and final norm included;
	// pooling follows).
	Forward(b *Builder) (*G.Node, error)
}

// Family is a registered architecture: New reads the family's own fields of
// c (c.Decode), fills the common ones it names differently or defaults,
// validates them, and returns the architecture with its weight fields
// unbound (slices made with their lengths).
type Family struct {
	New func(c *Config) (Architecture, error)
	// Prefixes are tried in order in front of every tensor name; "" is
	// always tried first.
	Prefixes []string
}

var families = map[string]Family{}

// Register adds a family under a model_type; call it from an init function.
func Register(modelType string, f Family) {
	if _, dup := families[modelType]; dup {
		panic("graph: model_type " + modelType + " registered twice")
	}
	families[modelType] = f
}

// Param is a weight tensor converted to float32 once at load, or, for a
// matrix in the BFloat16 mode, held as bfloat16 bits.
type Param struct {
	Name  string // as stored in the checkpoint
	File  string
	Shape []int
	value *tensor.Dense
	bf16  []uint16 // non-nil in the BFloat16 mode: a view of the file or a rounded copy
	// mapped: bf16 is a view of the checkpoint's mapping, not heap memory.
	mapped bool
}

// DType is the precision the projection matrices are kept and multiplied in.
type DType int

const (
	// Float32 (the default) converts every weight to float32: exact.
	Float32 DType = iota
	// BFloat16 keeps the [out,in] matrices of the Linear layers as bfloat16
	// (a view of the file where it stores BF16, rounded to nearest even
	// once otherwise) and rounds their inputs to bfloat16; sums, norms,
	// softmax, RoPE, embeddings and pooling stay float32. It halves the
	// weights' memory and doubles the GEMM speed on CPUs with AVX512_BF16.
	BFloat16
)

// DTypeNames are the names ParseDType accepts, in DType order.
var DTypeNames = []string{"float32", "bfloat16"}

func (d DType) String() string {
	if d >= 0 && int(d) < len(DTypeNames) {
		return DTypeNames[d]
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// ParseDType reads a dtype name (DTypeNames).
func ParseDType(s string) (DType, error) {
	for i, n := range DTypeNames {
		if s == n {
			return DType(i), nil
		}
	}
	return 0, fmt.Errorf("unknown dtype %q (choices: %s)", s, strings.Join(DTypeNames, ", "))
}

// Bytes is the memory the parameter's values take (bfloat16 or float32).
func (p *Param) Bytes() int {
	if p.bf16 != nil {
		return 2 * len(p.bf16)
	}
	return 4 * p.value.Shape().TotalSize()
}

// Table is an embedding table left in the checkpoint (memory-mapped, any
// dtype): rows are gathered per request, never converted as a whole.
type Table struct {
	Name  string
	File  string
	Shape []int
	store *weights.Store
}

// GatherRows implements layers.RowSource.
func (t *Table) GatherRows(ids []int, dst []float32) error {
	return t.store.GatherRows(t.Name, ids, dst)
}

// Builder is what an Architecture's Forward builds with: the graph being
// built, the runtime whose arena holds the activations, the bucket's shape
// and its input buffer.
type Builder struct {
	RT            *layers.Runtime
	Batch, Length int          // sequences and padded length of this graph
	Input         *G.Node      // [Batch·Length, hidden], arena slot SlotHidden
	g             *G.ExprGraph // the graph being built
}

// Node returns p as a node of the graph being built (nil for a nil p). Each
// graph gets its own tensor header over the shared float32 data: building a
// tape machine sets the engine of every bound value, which would race
// between workers building graphs concurrently if headers were shared.
func (b *Builder) Node(p *Param) *G.Node {
	if p == nil {
		return nil
	}
	if p.bf16 != nil {
		own := tensor.New(tensor.WithShape(p.Shape...), tensor.WithBacking(p.bf16))
		return G.NewTensor(b.g, tensor.Uint16, len(p.Shape), G.WithShape(p.Shape...), G.WithName(p.Name), G.WithValue(own))
	}
	v := p.value
	own := tensor.New(tensor.WithShape(v.Shape().Clone()...), tensor.WithBacking(v.Float32s()))
	return G.NewTensor(b.g, G.Float32, v.Dims(), G.WithShape(v.Shape()...), G.WithName(p.Name), G.WithValue(own))
}

// binder resolves an architecture's tagged fields against a checkpoint.
type binder struct {
	modelType string
	prefixes  []string
	dims      map[string]int
	store     *weights.Store
	files     string // the checkpoint's files, for errors
	load      func(name string, shape []int) (*tensor.Dense, error)
	// bf16, when set, loads the matrices (2-D params without a
	// dtype:"float32" tag) as bfloat16 instead.
	bf16 func(name string) (data []uint16, mapped bool, err error)
}

var (
	paramType = reflect.TypeOf((*Param)(nil))
	tableType = reflect.TypeOf((*Table)(nil))
)

// bind fills the *Param and *Table fields of the struct v points to.
func (bd *binder) bind(v reflect.Value, prefix string) error {
	v = v.Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("hf")
		if !ok {
			continue
		}
		fv := v.Field(i)
		switch {
		case f.Type == paramType || f.Type == tableType:
			if err := bd.bindTensor(fv, f, prefix, tag); err != nil {
				return err
			}
		case f.Type.Kind() == reflect.Struct:
			if err := bd.bind(fv.Addr(), prefix+tag+"."); err != nil {
				return err
			}
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			for j := range fv.Len() {
				if err := bd.bind(fv.Index(j).Addr(), prefix+strings.ReplaceAll(tag, "%d", strconv.Itoa(j))+"."); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("graph: %s: field %s has an hf tag but type %v", bd.modelType, f.Name, f.Type)
		}
	}
	return nil
}

func (bd *binder) bindTensor(fv reflect.Value, f reflect.StructField, prefix, tag string) error {
	shape, err := bd.shape(f)
	if err != nil {
		return err
	}
	cond, optional := f.Tag.Lookup("optional")
	if cond != "" && bd.dims[cond] == 0 {
		return nil // the config says this model has no such tensor
	}
	optional = optional && cond == ""
	var tried []string
	for _, p := range append([]string{""}, bd.prefixes...) {
		for _, alt := range strings.Split(tag, "|") {
			name := p + prefix + alt
			tried = append(tried, name)
			info, err := bd.store.Info(name)
			if err != nil {
				continue
			}
			if !slices.Equal(info.Shape, shape) {
				return fmt.Errorf("graph: %s model: tensor %q in %s has shape %v, config.json implies %v", bd.modelType, name, info.File, info.Shape, shape)
			}
			if f.Type == tableType {
				fv.Set(reflect.ValueOf(&Table{Name: name, File: info.File, Shape: shape, store: bd.store}))
				return nil
			}
			if bd.bf16 != nil && len(shape) == 2 && f.Tag.Get("dtype") != "float32" {
				data, mapped, err := bd.bf16(name)
				if err != nil {
					return fmt.Errorf("graph: %s model: loading tensor %q from %s as bfloat16: %w", bd.modelType, name, info.File, err)
				}
				fv.Set(reflect.ValueOf(&Param{Name: name, File: info.File, Shape: shape, bf16: data, mapped: mapped}))
				return nil
			}
			val, err := bd.load(name, shape)
			if err != nil {
				return fmt.Errorf("graph: %s model: loading tensor %q from %s: %w", bd.modelType, name, info.File, err)
			}
			fv.Set(reflect.ValueOf(&Param{Name: name, File: info.File, Shape: shape, value: val}))
			return nil
		}
	}
	if optional {
		return nil
	}
	return fmt.Errorf("graph: %s model: tensor %q not found in %s (tried %s)", bd.modelType, tried[0], bd.files, strings.Join(tried, ", "))
}

func (bd *binder) shape(f reflect.StructField) ([]int, error) {
	tag := f.Tag.Get("shape")
	if tag == "" {
		return nil, fmt.Errorf("graph: %s: field %s has no shape tag", bd.modelType, f.Name)
	}
	var shape []int
	for _, d := range strings.Split(tag, ",") {
		if n, err := strconv.Atoi(d); err == nil {
			shape = append(shape, n)
			continue
		}
		n, ok := bd.dims[d]
		if !ok {
			return nil, fmt.Errorf("graph: %s: field %s: shape names unknown dimension %q", bd.modelType, f.Name, d)
		}
		shape = append(shape, n)
	}
	return shape, nil
}

// WeightMemory counts the bytes the bound parameters hold, by kind.
type WeightMemory struct {
	Float32        int // float32 parameters (converted copies)
	BFloat16       int // bfloat16 matrices rounded into heap memory
	BFloat16Mapped int // bfloat16 matrices read in place from the file's mapping
}

// addParams adds the parameters of the struct v points to (and of its
// nested structs and slices) to wm. Tables are not counted: they stay in
// the mapping in both modes.
func (wm *WeightMemory) addParams(v reflect.Value) {
	v = v.Elem()
	for i := range v.NumField() {
		if !v.Type().Field(i).IsExported() {
			continue // bind sets exported fields only
		}
		fv := v.Field(i)
		switch {
		case fv.Type() == paramType:
			p := fv.Interface().(*Param)
			switch {
			case p == nil:
			case p.bf16 == nil:
				wm.Float32 += p.Bytes()
			case p.mapped:
				wm.BFloat16Mapped += p.Bytes()
			default:
				wm.BFloat16 += p.Bytes()
			}
		case fv.Kind() == reflect.Struct && fv.CanAddr():
			wm.addParams(fv.Addr())
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct:
			for j := range fv.Len() {
				wm.addParams(fv.Index(j).Addr())
			}
		}
	}
}
