# make-unigram.py trains two small SentencePiece Unigram models and converts them to
# tokenizer.json with transformers' convert_slow_tokenizer, the way the Hub's XLM-RoBERTa
# style files were made. They give the tests real Unigram vocabularies and real Precompiled
# charsmaps (SentencePiece's built-in nmt_nfkc and nmt_nfkc_cf rules).
#
#   xlmr-unigram:    nmt_nfkc, no byte fallback, converted by XLMRobertaTokenizerFast
#                    (XLMRobertaConverter)
#                    (normalizer Precompiled + Replace, Metaspace pre-tokenizer and decoder,
#                    <s> $A </s>).
#   unigram-bytefb:  nmt_nfkc_cf (case folding), byte_fallback=True, the same converter,
#                    then the model's byte_fallback switched on and the decoder made
#                    Sequence[ByteFallback, Metaspace], as Gemma-style Unigram files have.
#
# Usage (a venv with transformers==4.46.3 sentencepiece protobuf; node for the corpus):
#   python make-unigram.py TRAIN_TEXT OUTDIR
# TRAIN_TEXT is any UTF-8 text; the committed files were trained on the golden corpus
# (corpus.js) followed by the docstrings of Python 3's standard library.
import json, os, sys, tempfile

import sentencepiece as spm
from transformers import XLMRobertaTokenizerFast


def train(text, prefix, rule, byte_fallback):
    spm.SentencePieceTrainer.train(
        input=text, model_prefix=prefix, model_type="unigram", vocab_size=3000,
        normalization_rule_name=rule, byte_fallback=byte_fallback,
        character_coverage=0.995, hard_vocab_limit=False, num_threads=1,
        seed_sentencepiece_size=200000, input_sentence_size=0, shuffle_input_sentence=False,
        max_sentence_length=100000)
    return prefix + ".model"


def convert(model_file):
    # The fast tokenizer built from the .model goes through XLMRobertaConverter and then
    # registers the special tokens as added tokens, as the Hub's files have them.
    fast = XLMRobertaTokenizerFast(vocab_file=model_file)
    return json.loads(fast.backend_tokenizer.to_str())


def main():
    text, out = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp()
    a = convert(train(text, os.path.join(tmp, "a"), "nmt_nfkc", False))
    b = convert(train(text, os.path.join(tmp, "b"), "nmt_nfkc_cf", True))
    b["model"]["byte_fallback"] = True
    b["decoder"] = {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, b["decoder"]]}
    for name, tok in (("xlmr-unigram", a), ("unigram-bytefb", b)):
        with open(os.path.join(out, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(tok, f, ensure_ascii=False)
        print(name, len(tok["model"]["vocab"]), "pieces; normalizer", json.dumps(tok["normalizer"])[:100])


main()
