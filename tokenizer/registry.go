package tokenizer

import (
	"fmt"
	"sort"
	"strings"
)

// The components of a tokenizer.json are found by their "type" in these registries. A
// component lives in its own file and registers its builder there (in an init function), so
// adding one touches nothing else. A type that is not registered is an error naming it.

// model turns one pre-tokenized word into tokens and owns the vocabulary.
type model interface {
	// tokenize appends the tokens of word to dst; their byte ranges index word.
	tokenize(word string, dst []token) ([]token, error)
	tokenToID(tok string) (int32, bool)
	idToToken(id int32) (string, bool)
	size() int  // distinct tokens in the vocabulary
	maxID() int // the largest id of the vocabulary
}

// decoder turns tokens back into text the way the library's decoders do: decodeChain maps
// the tokens to strings that Decode concatenates (a Sequence feeds one decoder's output to
// the next).
type decoder interface {
	decodeChain(toks []string) []string
}

// modelParser reads the "model" object at j's position (the whole value).
type modelParser func(j *jsonScanner) (model, error)

// componentBuilder builds a component from its JSON object (raw) while t is being built
// (builders of Sequence call back into t for their parts; pre-tokenizers may set
// t.byteLevel).
type componentBuilder[T any] func(t *Tokenizer, raw string) (T, error)

var (
	models         = map[string]modelParser{}
	normalizers    = map[string]componentBuilder[normalizer]{}
	preTokenizers  = map[string]componentBuilder[preTokenizer]{}
	postProcessors = map[string]componentBuilder[postProcessor]{}
	decoders       = map[string]componentBuilder[decoder]{}
)

func registerModel(typ string, p modelParser) { models[typ] = p }
func registerNormalizer(typ string, b componentBuilder[normalizer]) {
	normalizers[typ] = b
}
func registerPreTokenizer(typ string, b componentBuilder[preTokenizer]) {
	preTokenizers[typ] = b
}
func registerPostProcessor(typ string, b componentBuilder[postProcessor]) {
	postProcessors[typ] = b
}
func registerDecoder(typ string, b componentBuilder[decoder]) { decoders[typ] = b }

// componentType reads the "type" of a component object.
func componentType(raw string) (string, error) {
	var typ string
	if err := unmarshalField(raw, "type", &typ); err != nil {
		return "", err
	}
	return typ, nil
}

// buildComponent dispatches raw to the builder of its type; null gives the zero T.
func buildComponent[T any](t *Tokenizer, raw string, reg map[string]componentBuilder[T]) (T, error) {
	var zero T
	if isNull(raw) {
		return zero, nil
	}
	typ, err := componentType(raw)
	if err != nil {
		return zero, err
	}
	b, ok := reg[typ]
	if !ok {
		return zero, fmt.Errorf("type %q is not supported (%s are)", typ, knownTypes(reg))
	}
	v, err := b(t, raw)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", typ, err)
	}
	return v, nil
}

func knownTypes[T any](reg map[string]T) string {
	names := make([]string, 0, len(reg))
	for k := range reg {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (t *Tokenizer) buildNormalizer(raw string) (normalizer, error) {
	return buildComponent(t, raw, normalizers)
}

func (t *Tokenizer) buildPreTokenizer(raw string) (preTokenizer, error) {
	return buildComponent(t, raw, preTokenizers)
}

func (t *Tokenizer) buildPost(raw string) (postProcessor, error) {
	return buildComponent(t, raw, postProcessors)
}

func (t *Tokenizer) buildDecoder(raw string) (decoder, error) {
	return buildComponent(t, raw, decoders)
}

// parseModelSection reads the "model" object: its "type" (HF writes it first; otherwise the
// object is scanned once for it) picks the parser. A model without a type is BPE, as the
// library's untagged reading makes it.
func parseModelSection(j *jsonScanner) (model, error) {
	typ, found, err := peekType(j)
	if err != nil {
		return nil, err
	}
	if !found {
		raw, err := j.raw()
		if err != nil {
			return nil, err
		}
		if typ, err = componentType(raw); err != nil {
			return nil, err
		}
		if typ == "" {
			typ = "BPE"
		}
		p, ok := models[typ]
		if !ok {
			return nil, fmt.Errorf("model type %q is not supported (%s are)", typ, knownTypes(models))
		}
		return p(&jsonScanner{s: raw})
	}
	p, ok := models[typ]
	if !ok {
		return nil, fmt.Errorf("model type %q is not supported (%s are)", typ, knownTypes(models))
	}
	return p(j)
}

// peekType reads the object at j's position up to its first key without consuming anything
// and returns that key's string value if the key is "type".
func peekType(j *jsonScanner) (typ string, found bool, err error) {
	k := &jsonScanner{s: j.s, pos: j.pos}
	if err := k.expect('{'); err != nil {
		return "", false, err
	}
	if b, err := k.peek(); err != nil || b != '"' {
		return "", false, nil
	}
	key, err := k.str()
	if err != nil || key != "type" {
		return "", false, nil
	}
	if err := k.expect(':'); err != nil {
		return "", false, nil
	}
	if b, err := k.peek(); err != nil || b != '"' {
		return "", false, nil
	}
	typ, err = k.str()
	if err != nil {
		return "", false, nil
	}
	return typ, true, nil
}
