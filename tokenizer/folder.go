package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoTokenizer is returned by LoadDir for a folder without tokenizer files it can read.
var ErrNoTokenizer = errors.New("tokenizer: no tokenizer files")

// LoadDir reads the tokenizer of a model folder the way transformers does:
//   - tokenizer.json (with tokenizer_config.json beside it), or else
//   - vocab.txt: the BERT WordPiece pipeline transformers' converter builds, with
//     tokenizer_config.json's do_lower_case, tokenize_chinese_chars and strip_accents and
//     its special tokens, or else
//   - vocab.json + merges.txt: byte-level BPE, GPT-2's pipeline (tokenizer_class
//     GPT2Tokenizer or none; other classes need their tokenizer.json).
//
// A folder with only a SentencePiece model is an error naming the file to provide.
func LoadDir(dir string) (*Tokenizer, error) {
	has := func(name string) bool {
		st, err := os.Stat(filepath.Join(dir, name))
		return err == nil && !st.IsDir()
	}
	switch {
	case has("tokenizer.json"):
		return LoadFile(filepath.Join(dir, "tokenizer.json"))
	case has("vocab.txt"):
		return loadVocabTxt(dir)
	case has("vocab.json") && has("merges.txt"):
		return loadVocabMerges(dir)
	}
	for _, sp := range []string{"sentencepiece.bpe.model", "spiece.model", "tokenizer.model", "sentencepiece.model"} {
		if has(sp) {
			return nil, fmt.Errorf("%w: %s has only a SentencePiece model (%s); provide its tokenizer.json (transformers writes it with AutoTokenizer.from_pretrained(...).save_pretrained(...))", ErrNoTokenizer, dir, sp)
		}
	}
	return nil, fmt.Errorf("%w in %s: want tokenizer.json, vocab.txt, or vocab.json with merges.txt", ErrNoTokenizer, dir)
}

// folderConfig is what tokenizer_config.json (and special_tokens_map.json) say about the
// tokenizer.
type folderConfig struct {
	TokenizerClass       string          `json:"tokenizer_class"`
	DoLowerCase          *bool           `json:"do_lower_case"`
	TokenizeChineseChars *bool           `json:"tokenize_chinese_chars"`
	StripAccents         *bool           `json:"strip_accents"`
	AddPrefixSpace       *bool           `json:"add_prefix_space"`
	UnkToken             json.RawMessage `json:"unk_token"`
	SepToken             json.RawMessage `json:"sep_token"`
	ClsToken             json.RawMessage `json:"cls_token"`
	PadToken             json.RawMessage `json:"pad_token"`
	MaskToken            json.RawMessage `json:"mask_token"`
	BosToken             json.RawMessage `json:"bos_token"`
	EosToken             json.RawMessage `json:"eos_token"`
	AddedTokensDecoder   map[string]struct {
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		LStrip     bool   `json:"lstrip"`
		RStrip     bool   `json:"rstrip"`
		Normalized *bool  `json:"normalized"`
		Special    bool   `json:"special"`
	} `json:"added_tokens_decoder"`
}

func readFolderConfig(dir string) (folderConfig, error) {
	var cfg folderConfig
	for _, name := range []string{"special_tokens_map.json", "tokenizer_config.json"} { // the config wins
		data, err := os.ReadFile(filepath.Join(dir, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return cfg, fmt.Errorf("tokenizer: %w", err)
		}
		if err := json.Unmarshal(data, &cfg); err != nil {
			return cfg, fmt.Errorf("tokenizer: %s: %w", filepath.Join(dir, name), err)
		}
	}
	return cfg, nil
}

// tokenName reads a special token written as a string or as {"content": ...}; def if absent.
func tokenName(raw json.RawMessage, def string) string {
	if isNull(string(raw)) {
		return def
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		Content string `json:"content"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Content != "" {
		return obj.Content
	}
	return def
}

// loadVocabTxt builds what transformers' BertConverter builds from vocab.txt.
func loadVocabTxt(dir string) (*Tokenizer, error) {
	path := filepath.Join(dir, "vocab.txt")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	cfg, err := readFolderConfig(dir)
	if err != nil {
		return nil, err
	}
	// transformers' load_vocab: one token a line, only the newline removed; a token listed
	// twice keeps its last line number.
	lines := strings.Split(string(data), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("tokenizer: %s is empty", path)
	}
	unk := tokenName(cfg.UnkToken, "[UNK]")
	m, err := newWordPiece(lines, unk, "##", 100)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	lower := cfg.DoLowerCase == nil || *cfg.DoLowerCase
	n := bertNormalizer{clean: true, chinese: cfg.TokenizeChineseChars == nil || *cfg.TokenizeChineseChars, lower: lower, strip: lower}
	if cfg.StripAccents != nil {
		n.strip = *cfg.StripAccents
	}
	cls, sep := tokenName(cfg.ClsToken, "[CLS]"), tokenName(cfg.SepToken, "[SEP]")
	clsID, ok1 := m.tokenToID(cls)
	sepID, ok2 := m.tokenToID(sep)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("tokenizer: %s: the cls token %q or the sep token %q is not in the vocabulary", path, cls, sep)
	}
	clsItem := templateItem{sequence: -1, ids: []int{int(clsID)}, tokens: []string{cls}}
	sepItem := templateItem{sequence: -1, ids: []int{int(sepID)}, tokens: []string{sep}}
	sep1 := sepItem
	sep1.typeID = 1
	t := &Tokenizer{model: m, normalizer: n, preTokenizers: []preTokenizer{bertPreTokenizer{}}, padID: -1,
		post: postTemplate{single: []templateItem{clsItem, {sequence: 0}, sepItem},
			pair: []templateItem{clsItem, {sequence: 0}, sepItem, {sequence: 1, typeID: 1}, sep1}, hasPair: true},
		decoder: wordPieceDecoder{prefix: "##", cleanup: true}}
	var special []string
	for _, raw := range []json.RawMessage{cfg.UnkToken, cfg.SepToken, cfg.PadToken, cfg.ClsToken, cfg.MaskToken} {
		if name := tokenName(raw, ""); name != "" {
			special = append(special, name)
		}
	}
	if cfg.UnkToken == nil && cfg.SepToken == nil && cfg.ClsToken == nil {
		special = []string{"[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"} // BertTokenizer's defaults
	}
	if err := t.buildFromConfig(cfg, special); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", dir, err)
	}
	if err := t.applyConfigFile(dir); err != nil {
		return nil, err
	}
	return t, nil
}

// loadVocabMerges builds what transformers' GPT-2 (or RoBERTa) converter builds from
// vocab.json and merges.txt.
func loadVocabMerges(dir string) (*Tokenizer, error) {
	cfg, err := readFolderConfig(dir)
	if err != nil {
		return nil, err
	}
	class := strings.TrimSuffix(cfg.TokenizerClass, "Fast")
	if class != "" && class != "GPT2Tokenizer" {
		return nil, fmt.Errorf("%w: %s: tokenizer_class %q from vocab.json and merges.txt is not supported (GPT2Tokenizer is); provide tokenizer.json", ErrNoTokenizer, dir, cfg.TokenizerClass)
	}
	vocabPath := filepath.Join(dir, "vocab.json")
	vocab, err := os.ReadFile(vocabPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if t := bytes.TrimSpace(vocab); !json.Valid(t) || len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("tokenizer: %s: not a JSON object of token ids", vocabPath)
	}
	mergesPath := filepath.Join(dir, "merges.txt")
	mf, err := os.ReadFile(mergesPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var merges []string
	sc := bufio.NewScanner(bytes.NewReader(mf))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if (ln == 1 && strings.HasPrefix(line, "#version")) || strings.TrimSpace(line) == "" {
			continue
		}
		if strings.Count(line, " ") != 1 {
			return nil, fmt.Errorf("tokenizer: %s line %d: %q is not two tokens separated by a space", mergesPath, ln, line)
		}
		merges = append(merges, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", mergesPath, err)
	}
	mergesJSON, _ := json.Marshal(merges)
	prefixSpace := cfg.AddPrefixSpace != nil && *cfg.AddPrefixSpace
	doc := map[string]any{
		"model": json.RawMessage(`{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":"","end_of_word_suffix":"","fuse_unk":false,"byte_fallback":false,"vocab":` +
			string(vocab) + `,"merges":` + string(mergesJSON) + `}`),
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": prefixSpace, "trim_offsets": true, "use_regex": true},
		"decoder":       map[string]any{"type": "ByteLevel"},
	}
	doc["post_processor"] = map[string]any{"type": "ByteLevel", "trim_offsets": false}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	t, err := parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", dir, err)
	}
	// GPT2Tokenizer's bos, eos and unk tokens default to <|endoftext|>.
	special := []string{tokenName(cfg.BosToken, "<|endoftext|>"), tokenName(cfg.EosToken, "<|endoftext|>"), tokenName(cfg.UnkToken, "<|endoftext|>")}
	for _, raw := range []json.RawMessage{cfg.SepToken, cfg.PadToken, cfg.ClsToken, cfg.MaskToken} {
		if name := tokenName(raw, ""); name != "" {
			special = append(special, name)
		}
	}
	if err := t.buildFromConfig(cfg, special); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", dir, err)
	}
	if err := t.applyConfigFile(dir); err != nil {
		return nil, err
	}
	return t, nil
}

// buildFromConfig sets up the added tokens of a folder without tokenizer.json: the special
// tokens (special, not normalized), then added_tokens_decoder's entries in id order.
func (t *Tokenizer) buildFromConfig(cfg folderConfig, special []string) error {
	var added []addedToken
	for _, s := range special {
		added = append(added, addedToken{Content: s, Special: true})
	}
	ids := make([]int, 0, len(cfg.AddedTokensDecoder))
	for k := range cfg.AddedTokensDecoder {
		var id int
		if _, err := fmt.Sscan(k, &id); err != nil {
			return fmt.Errorf("added_tokens_decoder: key %q is not an id", k)
		}
		ids = append(ids, id)
	}
	sortInts(ids)
	for _, id := range ids {
		a := cfg.AddedTokensDecoder[fmt.Sprint(id)]
		normalized := !a.Special
		if a.Normalized != nil {
			normalized = *a.Normalized
		}
		added = append(added, addedToken{ID: id, Content: a.Content, SingleWord: a.SingleWord, LStrip: a.LStrip, RStrip: a.RStrip, Normalized: normalized, Special: a.Special})
	}
	raw, err := json.Marshal(added)
	if err != nil {
		return err
	}
	sec := map[string]string{"added_tokens": string(raw)}
	return t.buildAdded(sec)
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// applyConfigFile reads tokenizer_config.json beside the files, if there is one.
func (t *Tokenizer) applyConfigFile(dir string) error {
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	cfg, err := os.ReadFile(cfgPath)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	if err := t.applyConfig(cfg); err != nil {
		return fmt.Errorf("tokenizer: %s: %w", cfgPath, err)
	}
	return nil
}
