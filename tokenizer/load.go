package tokenizer

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// LoadFile reads a tokenizer.json (or tokenizer.json.gz) and, if present beside it,
// tokenizer_config.json (for the pad token and model_max_length).
func LoadFile(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		if data, err = gunzipAll(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
		}
	}
	t, err := parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	cfgPath := filepath.Join(filepath.Dir(path), "tokenizer_config.json")
	if cfg, err := os.ReadFile(cfgPath); err == nil {
		if err := t.applyConfig(cfg); err != nil {
			return nil, fmt.Errorf("tokenizer: %s: %w", cfgPath, err)
		}
	} else if !os.IsNotExist(err) {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return t, nil
}

func gunzipAll(r io.Reader) ([]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// Load reads a tokenizer.json from r (gzip-compressed or not).
func Load(r io.Reader) (*Tokenizer, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: reading tokenizer.json: %w", err)
	}
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		if data, err = gunzipAll(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("tokenizer: tokenizer.json: %w", err)
		}
	}
	t, err := parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("tokenizer: tokenizer.json: %w", err)
	}
	return t, nil
}

type rawJSON = json.RawMessage

func isNull(r string) bool { return r == "" || r == "null" }

func parse(text string) (*Tokenizer, error) {
	j := &jsonScanner{s: text}
	sections := map[string]string{}
	var m model
	err := j.object(func(key string) error {
		if key == "model" {
			var err error
			m, err = parseModelSection(j)
			if err != nil {
				return fmt.Errorf("model: %w", err)
			}
			return nil
		}
		v, err := j.raw()
		sections[key] = v
		return err
	})
	if err != nil {
		return nil, err
	}
	if j.ws(); j.pos != len(j.s) {
		return nil, j.errorf("data after the top-level object")
	}
	if m == nil {
		return nil, fmt.Errorf("no \"model\" section")
	}
	t := &Tokenizer{model: m, padID: -1}
	if err := t.build(sections); err != nil {
		return nil, err
	}
	return t, nil
}

type bpeConfig struct {
	Type         string   `json:"type"`
	Dropout      *float64 `json:"dropout"`
	UnkToken     *string  `json:"unk_token"`
	Prefix       *string  `json:"continuing_subword_prefix"`
	Suffix       *string  `json:"end_of_word_suffix"`
	FuseUnk      bool     `json:"fuse_unk"`
	ByteFallback bool     `json:"byte_fallback"`
	IgnoreMerges bool     `json:"ignore_merges"`
}

func parseBPE(j *jsonScanner) (model, error) {
	m := &bpeModel{unkID: -1}
	var merges []mergeRef
	var entries []vocabEntry
	pool := &strPool{base: j.s}
	rest := map[string]rawJSON{}
	var resolver *mergeResolver // resolves merges while the rest of the array is read
	defer func() {
		if resolver != nil {
			resolver.stop()
		}
	}()
	err := j.object(func(key string) error {
		switch key {
		case "vocab":
			if entries != nil {
				return fmt.Errorf("duplicate field \"vocab\"")
			}
			entries = make([]vocabEntry, 0, max(len(j.s)/40, 1024)) // ~38 bytes per entry in real files
			err := j.objectAt(func(tok string, at int) error {
				id, err := j.integer()
				if err != nil {
					return fmt.Errorf("vocab[%q]: %w", tok, err)
				}
				entries = append(entries, vocabEntry{pool.ref(tok, at), int32(id)})
				return nil
			})
			if err != nil {
				return err
			}
			return nil
		case "merges":
			if merges != nil {
				return fmt.Errorf("duplicate field \"merges\"")
			}
			merges = make([]mergeRef, 0, max(len(j.s)/40, 1024))
			// The library writes the vocab and continuing_subword_prefix before the merges:
			// then the merges can be resolved to ids on the other cores as they are read.
			if prefix, known := knownPrefix(rest); known && entries != nil {
				if err := m.setVocab(entries, pool); err != nil {
					return err
				}
				m.prefix = prefix
				resolver = newMergeResolver(m)
			}
			sent := 0
			err := j.array(func() error {
				b, err := j.peek()
				if err != nil {
					return err
				}
				if b == '"' { // "a b"
					s, at, err := j.strAt()
					if err != nil {
						return err
					}
					a, c, ok := strings.Cut(s, " ")
					if !ok {
						return fmt.Errorf("merges[%d]: %q is not two tokens separated by a space", len(merges), s)
					}
					cAt := -1
					if at >= 0 {
						cAt = at + len(a) + 1
					}
					merges = append(merges, mergeRef{pool.ref(a, at), pool.ref(c, cAt)})
				} else {
					pair, err := j.mergePair(pool)
					if err != nil {
						return fmt.Errorf("merges[%d]: %w", len(merges), err)
					}
					merges = append(merges, pair)
				}
				if resolver != nil && len(merges)-sent == mergeChunk {
					resolver.add(pool, merges[sent:], sent)
					sent = len(merges)
				}
				return nil
			})
			if err == nil && resolver != nil && sent < len(merges) {
				resolver.add(pool, merges[sent:], sent)
			}
			return err
		}
		v, err := j.raw()
		rest[key] = rawJSON(v)
		return err
	})
	if err != nil {
		return nil, err
	}
	restJSON, _ := json.Marshal(rest)
	var cfg bpeConfig
	if err := json.Unmarshal(restJSON, &cfg); err != nil {
		return nil, err
	}
	if cfg.Type != "BPE" && !(cfg.Type == "" && entries != nil && merges != nil) {
		return nil, fmt.Errorf("model type %q is not supported (only BPE)", cfg.Type)
	}
	if cfg.Dropout != nil && *cfg.Dropout > 0 {
		return nil, fmt.Errorf("BPE dropout %v is not supported (it makes encoding random)", *cfg.Dropout)
	}
	if entries == nil {
		return nil, fmt.Errorf("BPE model without \"vocab\"")
	}
	if m.vocab == nil {
		if err := m.setVocab(entries, pool); err != nil {
			return nil, err
		}
	}
	if cfg.Prefix != nil && resolver == nil { // else set already, and read by the resolver
		m.prefix = *cfg.Prefix
	}
	if cfg.Suffix != nil {
		m.suffix = *cfg.Suffix
	}
	m.fuseUnk, m.byteFallback, m.ignoreMerges = cfg.FuseUnk, cfg.ByteFallback, cfg.IgnoreMerges
	if cfg.UnkToken != nil {
		id, ok := m.vocab.get(*cfg.UnkToken)
		if !ok {
			return nil, fmt.Errorf("unk_token %q is not in the vocabulary", *cfg.UnkToken)
		}
		m.unkID, m.unkToken = id, *cfg.UnkToken
	}
	if resolver == nil { // the merges came before what they need: resolve them now
		resolver = newMergeResolver(m)
		for lo := 0; lo < len(merges); lo += mergeChunk {
			resolver.add(pool, merges[lo:min(lo+mergeChunk, len(merges))], lo)
		}
	}
	// Fill the table in order so a duplicate pair keeps its last rank.
	m.merges = newMergeTable(len(merges))
	rank := 0
	for c := range resolver.results() {
		if c.err != nil {
			return nil, c.err
		}
		for _, r := range c.out {
			m.merges.put(r[0], r[1], rank, r[2])
			rank++
		}
	}
	m.fastBytes = m.prefix == "" && m.suffix == ""
	for b := range 256 {
		id, ok := m.vocab.get(byteToRune[b])
		if !ok {
			id, m.fastBytes = -1, false
		}
		m.byteIDs[b] = id
	}
	m.cache = newWordCache(1 << 15)
	return m, nil
}

// knownPrefix returns the continuing_subword_prefix among the fields read so far, and
// whether it is known (listed, as null or a string).
func knownPrefix(rest map[string]rawJSON) (string, bool) {
	raw, ok := rest["continuing_subword_prefix"]
	if !ok {
		return "", false
	}
	var p *string
	if json.Unmarshal(raw, &p) != nil {
		return "", false // reported with the other fields
	}
	if p == nil {
		return "", true
	}
	return *p, true
}

// setVocab checks the vocabulary's ids and indexes it.
func (m *bpeModel) setVocab(entries []vocabEntry, pool *strPool) error {
	maxID := int32(-1)
	for _, e := range entries {
		if e.id < 0 {
			return fmt.Errorf("vocab[%q]: negative id %d", pool.get(e.tok), e.id)
		}
		maxID = max(maxID, e.id)
	}
	if int(maxID) >= 4*len(entries)+1024 {
		return fmt.Errorf("vocab: id %d is far beyond the %d entries (ids must be dense)", maxID, len(entries))
	}
	m.vocab = buildVocab(entries, pool, int(maxID))
	return nil
}

// mergeChunk is how many merges a worker of mergeResolver resolves at once.
const mergeChunk = 16 << 10

// mergeResolver resolves merges (token pairs) to ids, chunk by chunk, on one goroutine per
// core (vocabulary reads are safe concurrently). Chunks are handed over while the parser
// is still reading the merges array, so the lookups overlap the reading.
type mergeResolver struct {
	m       *bpeModel
	work    chan *resolvedChunk
	chunks  []*resolvedChunk
	wg      sync.WaitGroup
	stopped bool
}

type resolvedChunk struct {
	pool strPool // a snapshot: the parser appends to its own pool's extra strings meanwhile
	refs []mergeRef
	base int // index of refs[0] in the merges array
	out  [][3]int32
	err  error
}

func newMergeResolver(m *bpeModel) *mergeResolver {
	r := &mergeResolver{m: m, work: make(chan *resolvedChunk, 64)}
	for range runtime.GOMAXPROCS(0) {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for c := range r.work {
				c.out = make([][3]int32, len(c.refs))
				c.err = m.resolveMerges(&c.pool, c.refs, c.out, c.base)
			}
		}()
	}
	return r
}

// add queues merges refs (starting at index base); the caller must not change them later
// (appending to the slice they came from is fine).
func (r *mergeResolver) add(pool *strPool, refs []mergeRef, base int) {
	c := &resolvedChunk{pool: strPool{base: pool.base, extra: pool.extra[:len(pool.extra):len(pool.extra)]}, refs: refs[:len(refs):len(refs)], base: base}
	r.chunks = append(r.chunks, c)
	r.work <- c
}

// stop waits for the workers to finish what was queued.
func (r *mergeResolver) stop() {
	if !r.stopped {
		r.stopped = true
		close(r.work)
		r.wg.Wait()
	}
}

// results waits for every chunk and yields them in merge order.
func (r *mergeResolver) results() func(yield func(*resolvedChunk) bool) {
	r.stop()
	return func(yield func(*resolvedChunk) bool) {
		for _, c := range r.chunks {
			if !yield(c) {
				return
			}
		}
	}
}

// strRef locates a string of tokenizer.json without holding a pointer (so the big
// intermediate slices cost the garbage collector nothing to scan): an offset into the
// file text, or past its end into strPool.extra for strings that had escapes.
type strRef struct{ off, n uint32 }

type strPool struct {
	base  string
	extra []string
}

func (p *strPool) ref(s string, at int) strRef {
	if at >= 0 {
		return strRef{uint32(at), uint32(len(s))}
	}
	p.extra = append(p.extra, s)
	return strRef{uint32(len(p.base) + len(p.extra) - 1), ^uint32(0)}
}

// length is len(p.get(r)) without reading the text.
func (p *strPool) length(r strRef) int {
	if r.n == ^uint32(0) {
		return len(p.extra[int(r.off)-len(p.base)])
	}
	return int(r.n)
}

func (p *strPool) get(r strRef) string {
	if r.n == ^uint32(0) {
		return p.extra[int(r.off)-len(p.base)]
	}
	return p.base[r.off : r.off+r.n]
}

type vocabEntry struct {
	tok strRef
	id  int32
}

type mergeRef struct{ a, b strRef }

// mergePair reads a merge written as a pair of tokens, ["a", "b"] (Gemma 3 has 515k),
// without the general array reader's callbacks.
func (j *jsonScanner) mergePair(pool *strPool) (mergeRef, error) {
	var pair [2]strRef
	if err := j.expect('['); err != nil {
		return mergeRef{}, err
	}
	for k := range 2 {
		s, at, err := j.strAt()
		if err != nil {
			return mergeRef{}, err
		}
		pair[k] = pool.ref(s, at)
		b, err := j.peek()
		if err != nil {
			return mergeRef{}, err
		}
		if want := ",]"[k]; b != want {
			return mergeRef{}, j.errorf("want a pair of tokens, found %q after token %d", b, k+1)
		}
		j.pos++
	}
	return mergeRef{pair[0], pair[1]}, nil
}

func (m *bpeModel) resolveMerges(pool *strPool, refs []mergeRef, out [][3]int32, base int) error {
	var buf []byte
	prev := int32(-1)
	for k, r := range refs {
		p := [2]string{pool.get(r.a), pool.get(r.b)}
		a, ok1 := m.vocab.get(p[0])
		b, ok2 := m.vocab.get(p[1])
		if !ok1 || !ok2 {
			return fmt.Errorf("merges[%d] %q: token not in the vocabulary", base+k, p[0]+" "+p[1])
		}
		second := p[1]
		if len(m.prefix) > 0 && strings.HasPrefix(second, m.prefix) {
			second = second[len(m.prefix):]
		}
		buf = append(append(buf[:0], p[0]...), second...)
		// Vocabularies usually list merged tokens in merge order (Qwen's: id = 256 + rank),
		// and SentencePiece-converted files list every way to make a token together (of
		// Gemma 3's 515k merges, 236k make the id after the previous merge's, 277k the same
		// id), so those two ids are tried first, by a compare with text just read.
		id, ok := int32(-1), false
		if prev >= 0 {
			for _, c := range [2]int32{prev + 1, prev} {
				if tok, has := m.vocab.token(c); has && tok == string(buf) {
					id, ok = c, true
					break
				}
			}
		}
		if !ok {
			id, ok = m.vocab.get(string(buf))
		}
		if !ok {
			return fmt.Errorf("merges[%d] %q: merged token %q not in the vocabulary", base+k, p[0]+" "+p[1], buf)
		}
		out[k] = [3]int32{a, b, id}
		prev = id
	}
	return nil
}

// build reads the sections other than the model.
// readAdded reads the added_tokens section and gives each token its id.
func (t *Tokenizer) readAdded(v string) error {
	if !isNull(v) {
		if err := json.Unmarshal([]byte(v), &t.added); err != nil {
			return fmt.Errorf("added_tokens: %w", err)
		}
	}
	// Ids as the library assigns them when it reads the file: a token already in the
	// model's vocabulary keeps that id, any other gets the next id after the vocabulary
	// (or after the largest added id), in file order; the "id" field is only checked by
	// the library (with a warning). For well-formed files the two agree.
	t.addedByID = map[int]*addedToken{}
	t.addedByContent = map[string]*addedToken{}
	vocabLen := t.model.size()
	maxAdded := -1
	kept := t.added[:0]
	for _, a := range t.added {
		if a.Content == "" {
			continue
		}
		if prev, ok := t.addedByContent[a.Content]; ok {
			id := prev.ID
			*prev = a // the later entry's flags replace the earlier one's; the id stays
			prev.ID = id
			continue
		}
		if id, ok := t.model.tokenToID(a.Content); ok {
			a.ID = int(id)
		} else if maxAdded >= vocabLen || (maxAdded >= 0 && vocabLen == 0) {
			a.ID = maxAdded + 1
		} else {
			a.ID = vocabLen
		}
		maxAdded = max(maxAdded, a.ID)
		kept = append(kept, a)
		t.addedByContent[a.Content] = &kept[len(kept)-1]
	}
	t.added = kept
	return nil
}

// indexAdded builds the matchers of the added tokens (after the normalizer: tokens marked
// normalized are matched in normalized text) and the vocabulary size.
func (t *Tokenizer) indexAdded() {
	var plain, normalized []*addedToken
	for i := range t.added {
		a := &t.added[i]
		t.addedByID[a.ID] = a
		t.addedByContent[a.Content] = a
		if a.Normalized {
			normalized = append(normalized, a)
		} else {
			plain = append(plain, a)
		}
	}
	t.addedPlain = newAddedMatcher(plain, func(a *addedToken) string { return a.Content })
	t.addedNormalized = newAddedMatcher(normalized, func(a *addedToken) string {
		if t.normalizer == nil {
			return a.Content
		}
		s, _ := t.normalizer.normalize(a.Content)
		return s
	})
	t.vocabSize = t.model.maxID() + 1
	for _, a := range t.added {
		t.vocabSize = max(t.vocabSize, a.ID+1)
	}
}

// buildAdded reads added tokens given as an added_tokens section for a tokenizer built
// without tokenizer.json (its normalizer already set).
func (t *Tokenizer) buildAdded(sec map[string]string) error {
	if err := t.readAdded(sec["added_tokens"]); err != nil {
		return err
	}
	t.indexAdded()
	return nil
}

func (t *Tokenizer) build(sec map[string]string) error {
	if err := t.readAdded(sec["added_tokens"]); err != nil {
		return err
	}
	var err error
	if t.normalizer, err = t.buildNormalizer(sec["normalizer"]); err != nil {
		return fmt.Errorf("normalizer: %w", err)
	}
	t.indexAdded()
	pre, err := t.buildPreTokenizer(sec["pre_tokenizer"])
	if err != nil {
		return fmt.Errorf("pre_tokenizer: %w", err)
	}
	t.preTokenizers = flattenPreTokenizers(pre, nil)
	if t.byteLevel {
		bl, ok := t.model.(byteLevelModel)
		if !ok {
			return fmt.Errorf("pre_tokenizer: ByteLevel with a %T model is not supported", t.model)
		}
		bl.setByteLevel()
	}
	if t.post, err = t.buildPost(sec["post_processor"]); err != nil {
		return fmt.Errorf("post_processor: %w", err)
	}
	if t.decoder, err = t.buildDecoder(sec["decoder"]); err != nil {
		return fmt.Errorf("decoder: %w", err)
	}
	if v := sec["padding"]; !isNull(v) {
		var p struct {
			PadID     *int   `json:"pad_id"`
			PadToken  string `json:"pad_token"`
			Direction string `json:"direction"`
		}
		if err := json.Unmarshal([]byte(v), &p); err != nil {
			return fmt.Errorf("padding: %w", err)
		}
		if p.PadID != nil {
			t.padID = *p.PadID
		}
		t.padToken = p.PadToken
		t.padLeft = p.Direction == "Left"
	}
	if v := sec["truncation"]; !isNull(v) {
		var tr struct {
			MaxLength int    `json:"max_length"`
			Direction string `json:"direction"`
			Strategy  string `json:"strategy"`
		}
		if err := json.Unmarshal([]byte(v), &tr); err != nil {
			return fmt.Errorf("truncation: %w", err)
		}
		strategy, ok := map[string]TruncationStrategy{"": LongestFirst, "LongestFirst": LongestFirst, "OnlyFirst": OnlyFirst, "OnlySecond": OnlySecond}[tr.Strategy]
		if !ok {
			return fmt.Errorf("truncation: strategy %q is not LongestFirst, OnlyFirst or OnlySecond", tr.Strategy)
		}
		t.fileTruncation = &EncodeOptions{MaxLength: tr.MaxLength, TruncateLeft: tr.Direction == "Left", Strategy: strategy}
	}
	return nil
}

type componentJSON struct {
	Type          string    `json:"type"`
	Normalizers   []rawJSON `json:"normalizers"`
	PreTokenizers []rawJSON `json:"pretokenizers"`
	Processors    []rawJSON `json:"processors"`
	Pattern       struct {
		Regex  *string `json:"Regex"`
		String *string `json:"String"`
	} `json:"pattern"`
	Behavior       string    `json:"behavior"`
	Invert         bool      `json:"invert"`
	AddPrefixSpace *bool     `json:"add_prefix_space"`
	TrimOffsets    *bool     `json:"trim_offsets"`
	UseRegex       *bool     `json:"use_regex"`
	Sep            []rawJSON `json:"sep"`
	Cls            []rawJSON `json:"cls"`
}

func orTrue(b *bool) bool { return b == nil || *b }

// applyConfig reads what tokenizer_config.json adds: the pad token, model_max_length,
// padding_side and truncation_side, and for BERT-style tokenizer classes the
// do_lower_case, strip_accents and tokenize_chinese_chars that transformers' fast BERT
// tokenizers impose on a BertNormalizer (they rebuild it when tokenizer.json disagrees).
func (t *Tokenizer) applyConfig(data []byte) error {
	var cfg struct {
		PadToken        json.RawMessage `json:"pad_token"`
		ModelMaxLength  *float64        `json:"model_max_length"`
		PaddingSide     string          `json:"padding_side"`
		TruncationSide  string          `json:"truncation_side"`
		TokenizerClass  string          `json:"tokenizer_class"`
		DoLowerCase     *bool           `json:"do_lower_case"`
		StripAccents    *bool           `json:"strip_accents"`
		TokenizeChinese *bool           `json:"tokenize_chinese_chars"`
		AddBOSToken     *bool           `json:"add_bos_token"`
		AddEOSToken     *bool           `json:"add_eos_token"`
		BOSToken        json.RawMessage `json:"bos_token"`
		EOSToken        json.RawMessage `json:"eos_token"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return err
	}
	if def, ok := bosEOSClasses[strings.TrimSuffix(cfg.TokenizerClass, "Fast")]; ok && (cfg.AddBOSToken != nil || cfg.AddEOSToken != nil) {
		bos, eos := tokenName(cfg.BOSToken, def[0]), tokenName(cfg.EOSToken, def[1])
		if isNull(string(cfg.BOSToken)) && cfg.BOSToken != nil {
			bos = ""
		}
		if isNull(string(cfg.EOSToken)) && cfg.EOSToken != nil {
			eos = ""
		}
		post, err := t.bosEOSTemplate(cfg.AddBOSToken == nil || *cfg.AddBOSToken, cfg.AddEOSToken != nil && *cfg.AddEOSToken, bos, eos)
		if err != nil {
			return fmt.Errorf("%s: %w", cfg.TokenizerClass, err)
		}
		t.post = post
	}
	if cfg.ModelMaxLength != nil && *cfg.ModelMaxLength < 1<<31 {
		t.modelMaxLength = int(*cfg.ModelMaxLength)
	}
	switch cfg.PaddingSide {
	case "left":
		t.padLeft = true
	case "right":
		t.padLeft = false
	case "":
	default:
		return fmt.Errorf("padding_side %q: want left or right", cfg.PaddingSide)
	}
	switch cfg.TruncationSide {
	case "left", "right":
		t.truncateLeft = cfg.TruncationSide == "left"
	case "":
	default:
		return fmt.Errorf("truncation_side %q: want left or right", cfg.TruncationSide)
	}
	if n, ok := t.normalizer.(bertNormalizer); ok && bertLikeClasses[strings.TrimSuffix(cfg.TokenizerClass, "Fast")] {
		lower := cfg.DoLowerCase == nil || *cfg.DoLowerCase
		chinese := cfg.TokenizeChinese == nil || *cfg.TokenizeChinese
		strip := lower
		if cfg.StripAccents != nil {
			strip = *cfg.StripAccents
		}
		if n.lower != lower || n.chinese != chinese || n.strip != strip {
			t.normalizer = bertNormalizer{clean: n.clean, chinese: chinese, strip: strip, lower: lower}
			t.indexAdded() // normalized added tokens are matched in the new normalizer's text
		}
	}
	if t.padID >= 0 || isNull(string(cfg.PadToken)) {
		return nil
	}
	name := tokenName(cfg.PadToken, "")
	if name == "" {
		return fmt.Errorf("pad_token: %s is neither a string nor {\"content\": ...}", cfg.PadToken)
	}
	if id, ok := t.TokenToID(name); ok {
		t.padID, t.padToken = id, name
	}
	return nil
}

// bosEOSClasses are the transformers tokenizers whose fast version (before
// transformers 5) replaces tokenizer.json's post-processor with a template
// built from add_bos_token (default true) and add_eos_token (default false),
// with their default bos and eos tokens.
var bosEOSClasses = map[string][2]string{"LlamaTokenizer": {"<s>", "</s>"}, "GemmaTokenizer": {"<bos>", "<eos>"}}

// bosEOSTemplate is that template: [bos] $A [eos] for one text and
// [bos] $A [eos] [bos] $B [eos] for a pair, the second text's tokens with type
// id 1. transformers 4.x rebuilds it whenever the tokenizer loads; here only
// a config that sets either flag rebuilds it, so that a tokenizer.json
// without the flags is read as transformers 5 reads it.
func (t *Tokenizer) bosEOSTemplate(addBOS, addEOS bool, bos, eos string) (postTemplate, error) {
	special := func(name, flag string, typeID int) (templateItem, error) {
		if name == "" {
			return templateItem{}, fmt.Errorf("%s is true but the %s token is null", flag, strings.TrimPrefix(strings.TrimSuffix(flag, "_token"), "add_"))
		}
		id, ok := t.TokenToID(name)
		if !ok {
			return templateItem{}, fmt.Errorf("%s: the token %q is not in the vocabulary", flag, name)
		}
		return templateItem{sequence: -1, typeID: typeID, ids: []int{id}, tokens: []string{name}}, nil
	}
	var single, pair []templateItem
	for seq := range 2 {
		var items []templateItem
		if addBOS {
			it, err := special(bos, "add_bos_token", seq)
			if err != nil {
				return postTemplate{}, err
			}
			items = append(items, it)
		}
		items = append(items, templateItem{sequence: seq, typeID: seq})
		if addEOS {
			it, err := special(eos, "add_eos_token", seq)
			if err != nil {
				return postTemplate{}, err
			}
			items = append(items, it)
		}
		if seq == 0 {
			single = items
		}
		pair = append(pair, items...)
	}
	return postTemplate{single: single, pair: pair, hasPair: true}, nil
}

// bertLikeClasses are the transformers tokenizers whose fast version rebuilds a
// BertNormalizer from do_lower_case, strip_accents and tokenize_chinese_chars.
var bertLikeClasses = map[string]bool{"BertTokenizer": true, "DistilBertTokenizer": true, "ElectraTokenizer": true,
	"LayoutLMTokenizer": true, "SqueezeBertTokenizer": true, "FunnelTokenizer": true, "MobileBertTokenizer": true,
	"RetriBertTokenizer": true, "LxmertTokenizer": true, "RealmTokenizer": true, "ConvBertTokenizer": true}
