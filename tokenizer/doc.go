// Package tokenizer is a pure-Go reader of Hugging Face tokenizer.json files
// (normalizer, pre-tokenizer, model, added tokens, post-processor, decoder, truncation
// and padding) that produces the same ids as the Hugging Face tokenizers library. It
// knows nothing about models. LoadDir also reads folders without tokenizer.json
// (vocab.txt for BERT, vocab.json + merges.txt for GPT-2) as transformers converts them.
//
// Exactness is checked against the library itself (Rust tokenizers 0.22.2 through
// the @anush008/tokenizers Node bindings and the tokenizers PyPI package, and
// transformers for folders; scripts/hf-tokenizers): ids, type ids, tokens, byte
// offsets, special-tokens masks and decodes of a broad corpus, singles and pairs,
// truncated or not, for the Qwen3, Qwen3-Embedding, all-MiniLM-L6-v2, Llama 2 and
// Gemma 3 files and XLM-RoBERTa-style SentencePiece Unigram conversions, small
// tokenizers for the components those files do not use, and every Unicode code point
// for normalization, the character classes and each Precompiled charsmap.
//
// Components are found by their "type" in registries (registry.go); each lives in its
// own file. Supported (anything else is an error that names the component type):
//   - models BPE (merges as "a b" strings or ["a","b"] pairs, ignore_merges,
//     continuing_subword_prefix, end_of_word_suffix, unk_token with fuse_unk,
//     byte_fallback; dropout is refused: it makes encoding random), WordPiece and
//     Unigram (Viterbi over the scores, unk_id, fused unknowns, byte_fallback);
//   - normalizers BertNormalizer, NFC, NFKC, NFD, NFKD, Lowercase, Replace, Prepend,
//     Strip, StripAccents, Precompiled (SentencePiece charsmaps), Sequence;
//   - pre-tokenizers BertPreTokenizer, Whitespace, WhitespaceSplit, Punctuation, Digits,
//     CharDelimiterSplit, Split (Regex or String pattern, every behavior, invert),
//     ByteLevel (add_prefix_space, use_regex), Metaspace (prepend_scheme, split, the
//     legacy add_prefix_space), Sequence;
//   - added tokens, special or not, with lstrip, rstrip, single_word, normalized;
//   - post-processors TemplateProcessing, BertProcessing, RobertaProcessing (single and
//     pair, type ids), ByteLevel (trim_offsets), Sequence;
//   - decoders ByteLevel, WordPiece, BPEDecoder, Metaspace, ByteFallback, Fuse, Strip,
//     Replace, Sequence (or none: tokens joined by spaces).
//
// Where the library and Go disagree about Unicode, the library wins:
//   - Split regexes run on Oniguruma in the library, with Unicode 16 tables; Go's
//     unicode package has 15.0. The GPT-2, Llama 3 and Qwen2/Qwen3 patterns are run
//     by hand-written scanners using \p{L}, \p{N} and \s tables taken from the
//     library (unicode_tables.go); other patterns go to dlclark/regexp2 with Go's
//     tables.
//   - Normalization in the library uses Unicode 9.0 data; golang.org/x/text is
//     newer. Characters assigned after 9.0 are passed through untouched (for the
//     library they are unassigned code points), everything else is x/text's
//     normalization — but without x/text's Stream-Safe rule (no U+034F after 30
//     combining marks), which the library does not apply.
//   - Lowercase is Rust's char::to_lowercase (no final-sigma rule), patched where
//     its newer Unicode data differs from Go's.
//   - The character classes of BertNormalizer (control, nonspacing mark),
//     StripAccents, BertPreTokenizer, Punctuation, Whitespace and Digits come from the
//     library's older tables (bert_tables.go, generated from it): for example
//     characters assigned after its Unicode version count as control characters.
//   - Precompiled applies its charsmap per extended grapheme cluster; the clusters come
//     from clipperhouse/uax29 (Unicode 17), the library's from unicode-segmentation
//     (Unicode 16). Every code point alone and before joining marks is checked against
//     the library; clusters only differ around characters new in Unicode 17.
//   - Unigram scores are read as the library's serde_json reads them (without
//     float_roundtrip: one decimal in eight lands one bit away from correct rounding),
//     since Viterbi's ties depend on the exact bits.
//
// Invalid UTF-8 in the input is read as Rust's String::from_utf8_lossy reads it:
// each maximal invalid sequence becomes one U+FFFD; offsets still index the input.
// Offsets are byte ranges of the input; a token that holds part of a character
// covers the whole character, and characters changed by normalization map back
// to source characters the way the library aligns them.
//
// Differences from the library, all deliberate: a character missing from a BPE
// vocabulary without unk_token or byte fallback is an error (the library drops it
// silently); Encode and EncodePair truncate only as EncodeOptions say (a truncation
// section in tokenizer.json is reported by FileTruncation, not applied); a MaxLength
// smaller than the post-processor's special tokens is ErrTruncation (the library's
// unsigned subtraction wraps around and it truncates nothing).
//
// A Tokenizer is safe for concurrent use. Repeated words are served from a
// bounded, sharded cache.
package tokenizer
