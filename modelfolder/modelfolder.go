// Package modelfolder reads the small files of a Hugging Face model folder
// once — config.json, modules.json and the sentence-transformers module
// configs (pooling, Dense, sentence_bert_config.json,
// config_sentence_transformers.json), tokenizer_config.json and the weights
// index — for every package that needs them: the Hub's completeness check,
// weights, graph, embed and the CLI's info. It parses and validates, names
// the file and field at fault, and knows no model family.
package modelfolder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// File names in a model folder.
const (
	ConfigFile      = "config.json"
	ModulesFile     = "modules.json"
	STConfigFile    = "config_sentence_transformers.json"
	SBertFile       = "sentence_bert_config.json"
	TokenizerConfig = "tokenizer_config.json"
	TokenizerFile   = "tokenizer.json"
	WeightsFile     = "model.safetensors"
	IndexFile       = "model.safetensors.index.json"
	TorchFile       = "pytorch_model.bin"
	TorchIndexFile  = "pytorch_model.bin.index.json"
)

// Folder is what a model folder's small files say.
type Folder struct {
	Dir string

	// Config is config.json as read; ModelType and Architectures are its
	// family keys.
	Config        []byte
	ModelType     string
	Architectures []string

	// Modules is modules.json in order; HasModules is false when the folder
	// has none (sentence-transformers then mean-pools the transformer output).
	Modules    []Module
	HasModules bool
	// Pooling is the Pooling module's config (nil without such a module).
	Pooling *Pooling
	// Dense holds the Dense modules' configs in pipeline order.
	Dense []Dense
	// Normalize is true when a Normalize module is listed.
	Normalize bool

	// Transformer is sentence_bert_config.json (zero values when absent).
	Transformer Transformer
	// ST is config_sentence_transformers.json (zero values when absent).
	ST STConfig
	// Tokenizer is tokenizer_config.json (zero values when absent).
	Tokenizer Tokenizer

	// Weights says where the safetensors weights are.
	Weights Weights
}

// ModuleKind is a sentence-transformers module class.
type ModuleKind string

// The module classes a pipeline may hold.
const (
	KindTransformer ModuleKind = "Transformer"
	KindPooling     ModuleKind = "Pooling"
	KindDense       ModuleKind = "Dense"
	KindNormalize   ModuleKind = "Normalize"
)

// Module is one entry of modules.json.
type Module struct {
	Kind ModuleKind
	Type string // as written, e.g. "sentence_transformers.models.Pooling"
	Path string // folder relative to the model folder ("" = the folder itself)
}

// Pooling is a Pooling module's config.json.
type Pooling struct {
	Dimension int // word_embedding_dimension (0 when absent)
	// Modes are the enabled modes in sentence-transformers' concatenation
	// order: "cls", "max", "mean", "mean_sqrt_len", "weightedmean",
	// "lasttoken".
	Modes []string
	// IncludePrompt is false when prompt tokens are left out of the pool.
	IncludePrompt bool
}

// Dense is a Dense module's config.json.
type Dense struct {
	Path       string // module folder, holding model.safetensors or pytorch_model.bin
	In, Out    int
	Bias       bool
	Activation string // class name: "Tanh", "Identity", "ReLU", "GELU", "Sigmoid", …
}

// Transformer is sentence_bert_config.json.
type Transformer struct {
	MaxSeqLength int  // 0 when absent
	DoLowerCase  bool // lower-case texts before tokenizing
}

// STConfig is config_sentence_transformers.json.
type STConfig struct {
	Prompts           map[string]string
	DefaultPromptName string
	Similarity        string
}

// Tokenizer is what embedding needs from tokenizer_config.json.
type Tokenizer struct {
	ModelMaxLength int // 0 when absent or "unbounded"
	DoLowerCase    bool
	PaddingSide    string
	Class          string // tokenizer_class, e.g. "LlamaTokenizerFast"
	// AddBOSToken and AddEOSToken are add_bos_token and add_eos_token (nil
	// when absent). For the Llama and Gemma tokenizer classes they rebuild
	// the post-processor's template, as transformers 4.x does (the
	// tokenizer package applies them).
	AddBOSToken, AddEOSToken *bool
}

// Weights locates the safetensors weights: Single, or Index with the shard
// files it names (WeightMap: tensor → shard, relative to the folder).
type Weights struct {
	Single    string
	Index     string
	Shards    []string
	WeightMap map[string]string
}

// Read reads dir's files. config.json is required; every other file is
// optional, but a file that exists and is malformed is an error naming it.
func Read(dir string) (*Folder, error) {
	f := &Folder{Dir: dir}
	if err := f.readConfig(); err != nil {
		return nil, err
	}
	for _, step := range []func() error{f.readModules, f.readST, f.readSBert, f.readTokenizerConfig, f.readWeights} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *Folder) path(rel ...string) string {
	return filepath.Join(append([]string{f.Dir}, rel...)...)
}

func (f *Folder) readConfig() error {
	file := f.path(ConfigFile)
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("reading model config: %w", err)
	}
	var c struct {
		ModelType     string   `json:"model_type"`
		Architectures []string `json:"architectures"`
	}
	if err := decode(file, data, &c); err != nil {
		return err
	}
	f.Config, f.ModelType, f.Architectures = data, c.ModelType, c.Architectures
	return nil
}

func (f *Folder) readModules() error {
	file := f.path(ModulesFile)
	var mods []struct {
		Path string `json:"path"`
		Type string `json:"type"`
	}
	found, err := readJSON(file, &mods)
	if err != nil || !found {
		return err
	}
	f.HasModules = true
	for i, m := range mods {
		// "sentence_transformers.models.Pooling", its full module path
		// ("….Pooling.Pooling") or newer packages' ("sentence_transformers.
		// base.modules.pooling.Pooling"): the class name decides.
		kind := ModuleKind(m.Type[strings.LastIndex(m.Type, ".")+1:])
		switch kind {
		case KindTransformer, KindPooling, KindDense, KindNormalize:
		default:
			// Skipping a module would change the vectors without a word.
			return fmt.Errorf("%s: module %d %q (%s) is not supported (gembed runs Transformer, Pooling, Dense and Normalize)", file, i, m.Type, m.Path)
		}
		if m.Path != "" {
			if err := CheckRelPath(m.Path); err != nil {
				return fmt.Errorf("%s: module %d: %w", file, i, err)
			}
		}
		f.Modules = append(f.Modules, Module{Kind: kind, Type: m.Type, Path: m.Path})
		switch kind {
		case KindPooling:
			if f.Pooling != nil {
				return fmt.Errorf("%s: more than one Pooling module", file)
			}
			p, err := readPooling(f.path(filepath.FromSlash(m.Path), ConfigFile))
			if err != nil {
				return err
			}
			f.Pooling = p
		case KindDense:
			d, err := readDense(f.path(filepath.FromSlash(m.Path), ConfigFile))
			if err != nil {
				return err
			}
			d.Path = m.Path
			f.Dense = append(f.Dense, d)
		case KindNormalize:
			f.Normalize = true
		}
	}
	return nil
}

func readPooling(file string) (*Pooling, error) {
	var c struct {
		Dimension     int   `json:"word_embedding_dimension"`
		CLS           bool  `json:"pooling_mode_cls_token"`
		Max           bool  `json:"pooling_mode_max_tokens"`
		Mean          bool  `json:"pooling_mode_mean_tokens"`
		MeanSqrtLen   bool  `json:"pooling_mode_mean_sqrt_len_tokens"`
		WeightedMean  bool  `json:"pooling_mode_weightedmean_tokens"`
		LastToken     bool  `json:"pooling_mode_lasttoken"`
		IncludePrompt *bool `json:"include_prompt"`
	}
	found, err := readJSON(file, &c)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%s: the Pooling module's config is missing", file)
	}
	p := &Pooling{Dimension: c.Dimension, IncludePrompt: c.IncludePrompt == nil || *c.IncludePrompt}
	for _, m := range []struct {
		on   bool
		name string
	}{{c.CLS, "cls"}, {c.Max, "max"}, {c.Mean, "mean"}, {c.MeanSqrtLen, "mean_sqrt_len"}, {c.WeightedMean, "weightedmean"}, {c.LastToken, "lasttoken"}} {
		if m.on {
			p.Modes = append(p.Modes, m.name)
		}
	}
	if len(p.Modes) == 0 {
		return nil, fmt.Errorf("%s: no pooling_mode_* is true", file)
	}
	return p, nil
}

func readDense(file string) (Dense, error) {
	var c struct {
		In         int    `json:"in_features"`
		Out        int    `json:"out_features"`
		Bias       *bool  `json:"bias"`
		Activation string `json:"activation_function"`
	}
	found, err := readJSON(file, &c)
	if err != nil {
		return Dense{}, err
	}
	if !found {
		return Dense{}, fmt.Errorf("%s: the Dense module's config is missing", file)
	}
	if c.In <= 0 || c.Out <= 0 || c.In > 1<<20 || c.Out > 1<<20 {
		return Dense{}, fmt.Errorf("%s: in_features %d / out_features %d out of range", file, c.In, c.Out)
	}
	d := Dense{In: c.In, Out: c.Out, Bias: c.Bias == nil || *c.Bias, Activation: "Tanh"}
	if c.Activation != "" {
		// "torch.nn.modules.activation.Tanh" → "Tanh"
		d.Activation = c.Activation[strings.LastIndex(c.Activation, ".")+1:]
	}
	return d, nil
}

func (f *Folder) readST() error {
	file := f.path(STConfigFile)
	var c struct {
		Prompts           map[string]string `json:"prompts"`
		DefaultPromptName *string           `json:"default_prompt_name"`
		Similarity        *string           `json:"similarity_fn_name"`
	}
	found, err := readJSON(file, &c)
	if err != nil || !found {
		return err
	}
	f.ST.Prompts = c.Prompts
	if c.DefaultPromptName != nil && *c.DefaultPromptName != "" {
		f.ST.DefaultPromptName = *c.DefaultPromptName
		if _, ok := c.Prompts[f.ST.DefaultPromptName]; !ok {
			return fmt.Errorf("%s: default_prompt_name %q is not in prompts", file, f.ST.DefaultPromptName)
		}
	}
	if c.Similarity != nil {
		f.ST.Similarity = *c.Similarity
	}
	return nil
}

func (f *Folder) readSBert() error {
	file := f.path(SBertFile)
	var c struct {
		MaxSeqLength *int  `json:"max_seq_length"`
		DoLowerCase  *bool `json:"do_lower_case"`
	}
	found, err := readJSON(file, &c)
	if err != nil || !found {
		return err
	}
	if c.MaxSeqLength != nil {
		if *c.MaxSeqLength < 1 {
			return fmt.Errorf("%s: max_seq_length %d out of range", file, *c.MaxSeqLength)
		}
		f.Transformer.MaxSeqLength = *c.MaxSeqLength
	}
	f.Transformer.DoLowerCase = c.DoLowerCase != nil && *c.DoLowerCase
	return nil
}

func (f *Folder) readTokenizerConfig() error {
	file := f.path(TokenizerConfig)
	var c struct {
		ModelMaxLength json.Number `json:"model_max_length"`
		DoLowerCase    bool        `json:"do_lower_case"`
		PaddingSide    string      `json:"padding_side"`
		Class          string      `json:"tokenizer_class"`
		AddBOSToken    *bool       `json:"add_bos_token"`
		AddEOSToken    *bool       `json:"add_eos_token"`
	}
	found, err := readJSON(file, &c)
	if err != nil || !found {
		return err
	}
	// Unbounded tokenizers write 1e30 (int(1e30) in Python).
	if n, err := c.ModelMaxLength.Int64(); err == nil && n > 0 && n < 1<<31 {
		f.Tokenizer.ModelMaxLength = int(n)
	}
	f.Tokenizer.DoLowerCase, f.Tokenizer.PaddingSide = c.DoLowerCase, c.PaddingSide
	f.Tokenizer.Class, f.Tokenizer.AddBOSToken, f.Tokenizer.AddEOSToken = c.Class, c.AddBOSToken, c.AddEOSToken
	return nil
}

// ErrNoWeights is wrapped by the error of a folder without weights.
var ErrNoWeights = errors.New("none of " + WeightsFile + ", " + IndexFile + ", " + TorchFile + ", " + TorchIndexFile)

func (f *Folder) readWeights() error {
	w, err := ReadWeights(f.Dir)
	if errors.Is(err, ErrNoWeights) {
		return nil // reported by whoever needs the weights
	}
	f.Weights = w
	return err
}

// WeightsOrder lists a folder's weights files in the order they are
// preferred: PyTorch pickles are read only when no safetensors exist.
var WeightsOrder = []string{WeightsFile, IndexFile, TorchFile, TorchIndexFile}

// ReadWeights locates the weights of dir (a model folder or a module folder
// such as 2_Dense) in WeightsOrder: a single file, or else an index and the
// shards it names.
func ReadWeights(dir string) (Weights, error) {
	for _, name := range WeightsOrder {
		p := filepath.Join(dir, name)
		if !isFile(p) {
			continue
		}
		if !strings.HasSuffix(name, ".index.json") {
			return Weights{Single: p}, nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return Weights{}, err
		}
		wm, err := ParseIndex(p, data)
		if err != nil {
			return Weights{}, err
		}
		return Weights{Index: p, WeightMap: wm, Shards: Shards(wm)}, nil
	}
	return Weights{}, fmt.Errorf("%s holds %w", dir, ErrNoWeights)
}

// Shards returns the distinct shard files of a weight map, sorted.
func Shards(weightMap map[string]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range weightMap {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// ParseIndex is the one parser of a weights index (model.safetensors.index.json
// or pytorch_model.bin.index.json): its
// weight_map (tensor name → shard file, a clean relative path inside the
// folder; "sub/shard.safetensors" is allowed, "../x" is not), without
// duplicate tensor names.
func ParseIndex(file string, data []byte) (map[string]string, error) {
	var index struct {
		WeightMap json.RawMessage `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &index); err != nil {
		return nil, fmt.Errorf("%s: invalid index JSON: %w", file, err)
	}
	if len(index.WeightMap) == 0 || string(index.WeightMap) == "null" {
		return nil, fmt.Errorf("%s: index has no weight_map", file)
	}
	if dup, err := DuplicateKey(index.WeightMap); err != nil {
		return nil, fmt.Errorf("%s: weight_map is not a JSON object: %w", file, err)
	} else if dup != "" {
		return nil, fmt.Errorf("%s: duplicate tensor name %q in weight_map", file, dup)
	}
	var weightMap map[string]string
	if err := json.Unmarshal(index.WeightMap, &weightMap); err != nil {
		return nil, fmt.Errorf("%s: weight_map must map tensor names to file names: %w", file, err)
	}
	if len(weightMap) == 0 {
		return nil, fmt.Errorf("%s: weight_map is empty", file)
	}
	for name, shard := range weightMap {
		if err := CheckRelPath(shard); err != nil {
			return nil, fmt.Errorf("%s: tensor %q: shard: %w", file, name, err)
		}
	}
	return weightMap, nil
}

// ErrUnsafePath is wrapped by CheckRelPath's errors (and so by those of an
// index naming such a shard).
var ErrUnsafePath = errors.New("unsafe file name")

// CheckRelPath accepts a clean, relative, slash-separated path inside a
// folder: no empty, "." or ".." component, no backslash, drive letter or
// control character.
func CheckRelPath(name string) error {
	if name == "" || len(name) > 4096 {
		return fmt.Errorf("%w: %q is empty or too long", ErrUnsafePath, name)
	}
	for _, r := range name {
		if r == '\\' || r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %q has a backslash or control character", ErrUnsafePath, name)
		}
	}
	if strings.HasPrefix(name, "/") || (len(name) >= 2 && name[1] == ':') {
		return fmt.Errorf("%w: %q is absolute", ErrUnsafePath, name)
	}
	for _, c := range strings.Split(name, "/") {
		if c == "" || c == "." || c == ".." {
			return fmt.Errorf("%w: %q is not a clean path inside the folder", ErrUnsafePath, name)
		}
	}
	if path.Clean(name) != name {
		return fmt.Errorf("%w: %q is not a clean path", ErrUnsafePath, name)
	}
	return nil
}

// Missing lists what loading a model needs that dir lacks: config.json,
// tokenizer.json, the weights (single file, or the index and every shard it
// names; an unreadable index is listed as such), and what modules.json's
// modules need (ModuleFiles; an unreadable modules.json is listed as such).
func Missing(dir string) []string {
	var missing []string
	for _, f := range []string{ConfigFile, TokenizerFile} {
		if !isFile(filepath.Join(dir, f)) {
			missing = append(missing, f)
		}
	}
	missing = append(missing, missingWeights(dir, "")...)
	data, err := os.ReadFile(filepath.Join(dir, ModulesFile))
	if errors.Is(err, fs.ErrNotExist) {
		return missing
	}
	if err != nil {
		return append(missing, ModulesFile+" (unreadable)")
	}
	configs, folders, err := ModuleFiles(data)
	if err != nil {
		return append(missing, ModulesFile+" (unreadable)")
	}
	for _, c := range configs {
		if !isFile(filepath.Join(dir, filepath.FromSlash(c))) {
			missing = append(missing, c)
		}
	}
	for _, f := range folders {
		missing = append(missing, missingWeights(dir, f)...)
	}
	return missing
}

// missingWeights is what Missing reports for the weights of folder (""
// for the model's own), as paths relative to dir.
func missingWeights(dir, folder string) []string {
	at := filepath.Join(dir, filepath.FromSlash(folder))
	w, err := ReadWeights(at)
	switch {
	case errors.Is(err, ErrNoWeights):
		return []string{path.Join(folder, WeightsFile)}
	case err != nil:
		index := IndexFile
		if !isFile(filepath.Join(at, IndexFile)) {
			index = TorchIndexFile
		}
		return []string{path.Join(folder, index) + " (unreadable)"}
	}
	var missing []string
	for _, s := range w.Shards {
		if !isFile(filepath.Join(at, filepath.FromSlash(s))) {
			missing = append(missing, path.Join(folder, s))
		}
	}
	return missing
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// readJSON decodes file into v; a missing file is (false, nil).
func readJSON(file string, v any) (bool, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", file, err)
	}
	return true, decode(file, b, v)
}

func decode(file string, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%s: field %q: %s where %s was expected", file, te.Field, te.Value, te.Type)
		}
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

// DuplicateKey scans the top-level JSON object in data and returns the first
// key that appears twice ("" if none): encoding/json keeps only the last.
func DuplicateKey(data []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return "", fmt.Errorf("found %v", tok)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		key, ok := tok.(string)
		if !ok {
			return "", fmt.Errorf("object key %v", tok)
		}
		if seen[key] {
			return key, nil
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", fmt.Errorf("value of %q: %w", key, err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return "", err
	}
	if _, err := dec.Token(); err == nil {
		return "", errors.New("data after the JSON object")
	}
	return "", nil
}

// ModuleFiles lists what the modules of a modules.json need beside the
// transformer's files, relative to the model folder: configs are each
// Pooling and Dense module's config.json; weightFolders are the Dense
// modules' folders, each needing its weights (in ReadWeights's order). The
// Hub download fetches them and Missing requires them, so both agree with
// what loading reads.
func ModuleFiles(modulesJSON []byte) (configs, weightFolders []string, err error) {
	var mods []struct {
		Path string `json:"path"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(modulesJSON, &mods); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", ModulesFile, err)
	}
	for i, m := range mods {
		kind := ModuleKind(m.Type[strings.LastIndex(m.Type, ".")+1:])
		if kind != KindPooling && kind != KindDense {
			continue
		}
		if err := CheckRelPath(m.Path); err != nil {
			return nil, nil, fmt.Errorf("%s: module %d: %w", ModulesFile, i, err)
		}
		configs = append(configs, path.Join(m.Path, ConfigFile))
		if kind == KindDense {
			weightFolders = append(weightFolders, m.Path)
		}
	}
	return configs, weightFolders, nil
}
