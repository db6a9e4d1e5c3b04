// Package tokenizer is a pure-Go reader of Hugging Face tokenizer.json files
// (normalizer, pre-tokenizer, byte-level BPE, added tokens, post-processor,
// decoder, truncation and padding) that produces the same ids as the Hugging
// Face tokenizers library. It knows nothing about models.
//
// Exactness is checked against the library itself (Rust tokenizers 0.22.2 through
// the @anush008/tokenizers Node bindings; scripts/hf-tokenizers): ids, tokens,
// byte offsets and decodes of a broad corpus for the Qwen3 and Qwen3-Embedding
// files, small tokenizers for the features those files do not use, and every
// Unicode code point for normalization and the regex classes.
//
// Supported components (anything else is an error that names the component type):
//   - normalizers NFC, NFKC, NFD, NFKD, Lowercase, Sequence;
//   - pre-tokenizers Sequence, Split (Regex or String pattern, every behavior,
//     invert), ByteLevel (add_prefix_space, use_regex);
//   - model BPE: merges as "a b" strings or ["a","b"] pairs, ignore_merges,
//     continuing_subword_prefix, end_of_word_suffix, unk_token with fuse_unk,
//     byte_fallback; dropout is refused (it makes encoding random);
//   - added tokens, special or not, with lstrip, rstrip, single_word, normalized;
//   - post-processors ByteLevel (trim_offsets), TemplateProcessing (single
//     sequences), RobertaProcessing, BertProcessing, Sequence;
//   - decoder ByteLevel (or none: tokens joined by spaces).
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
//
// Invalid UTF-8 in the input is read as Rust's String::from_utf8_lossy reads it:
// each maximal invalid sequence becomes one U+FFFD; offsets still index the input.
// Offsets are byte ranges of the input; a token that holds part of a character
// covers the whole character, and characters changed by normalization map back
// to source characters the way the library aligns them.
//
// Differences from the library, all deliberate: a character missing from a BPE
// vocabulary without unk_token or byte fallback is an error (the library drops it
// silently); Encode truncates only as EncodeOptions say (a truncation section in
// tokenizer.json is reported by FileTruncation, not applied); pairs of sequences
// are not encoded.
//
// A Tokenizer is safe for concurrent use. Repeated words are served from a
// bounded, sharded cache.
package tokenizer
