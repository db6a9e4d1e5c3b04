"""Golden for add_bos_token / add_eos_token in tokenizer_config.json.

transformers 4.x's LlamaTokenizerFast and GemmaTokenizerFast rebuild the
tokenizer.json post-processor from these flags (update_post_processor:
[bos] $A [eos], pair [bos] $A [eos] [bos] $B [eos]); transformers 5 ignores
them when a tokenizer.json exists. Mistral/Llama embedders
(intfloat/e5-mistral-7b-instruct: "add_eos_token": true, tokenizer.json adding
only <s>) were made with 4.x, so 4.x is the reference.

The tokenizer is the one of the tiny mistral/llama test models
(testdata/tokenizer/qwen3-embedding: its tokenizer.json appends
<|endoftext|>); each case overrides tokenizer_config.json's class, flags and
bos/eos tokens.

Run with transformers 4.57.1 (a venv of its own: pip install
transformers==4.57.1 sentencepiece protobuf; no torch needed):
  python add_bos_eos_golden.py testdata/tokenizer/qwen3-embedding \
      testdata/golden/tokenizer/add-bos-eos.json
"""
import gzip, json, os, shutil, sys, tempfile

import tokenizers
import transformers
from transformers import AutoTokenizer

src, out = sys.argv[1], sys.argv[2]
TEXTS = ["Hello world", "how do I reset my password?", "", "東京は日本の首都です。"]
PAIRS = [["what is a llama?", "A llama is a South American camelid."]]
CASES = [
    # e5-mistral-7b-instruct's flags
    {"tokenizer_class": "LlamaTokenizerFast", "add_bos_token": True, "add_eos_token": True,
     "bos_token": "<|im_start|>", "eos_token": "<|im_end|>"},
    {"tokenizer_class": "LlamaTokenizer", "add_bos_token": False, "add_eos_token": True,
     "bos_token": "<|im_start|>", "eos_token": "<|im_end|>"},
    # only one flag given: the other takes the class default (bos on, eos off)
    {"tokenizer_class": "LlamaTokenizerFast", "add_eos_token": True,
     "bos_token": "<|im_start|>", "eos_token": "<|im_end|>"},
    {"tokenizer_class": "LlamaTokenizerFast", "add_bos_token": False, "add_eos_token": False,
     "bos_token": "<|im_start|>", "eos_token": "<|im_end|>"},
    # EmbeddingGemma's flags
    {"tokenizer_class": "GemmaTokenizer", "add_bos_token": True, "add_eos_token": True,
     "bos_token": "<|im_start|>", "eos_token": "<|endoftext|>"},
    # other classes keep tokenizer.json's post-processor
    {"tokenizer_class": "Qwen2Tokenizer", "add_bos_token": True, "add_eos_token": True,
     "bos_token": "<|im_start|>", "eos_token": "<|im_end|>"},
]

with open(os.path.join(src, "tokenizer_config.json"), encoding="utf-8") as f:
    base = json.load(f)
with gzip.open(os.path.join(src, "tokenizer.json.gz")) as f:
    tokenizer_json = f.read()

cases = []
for override in CASES:
    with tempfile.TemporaryDirectory() as d:
        cfg = dict(base)
        # add_prefix_space makes 4.x's LlamaTokenizerFast rebuild itself from
        # a SentencePiece model, which this folder has not.
        for k in ("add_bos_token", "add_eos_token", "add_prefix_space"):
            cfg.pop(k, None)
        cfg.update(override)
        with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(cfg, f)
        with open(os.path.join(d, "tokenizer.json"), "wb") as f:
            f.write(tokenizer_json)
        tok = AutoTokenizer.from_pretrained(d)
        singles = [{"text": t, "ids": tok(t)["input_ids"]} for t in TEXTS]
        pairs = []
        for a, b in PAIRS:
            enc = tok(a, b, return_token_type_ids=True)
            pairs.append({"a": a, "b": b, "ids": enc["input_ids"], "type_ids": enc["token_type_ids"]})
        cases.append({"config": override, "loaded_class": type(tok).__name__, "single": singles, "pairs": pairs})

os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w", encoding="utf-8") as f:
    json.dump({"generator": f"transformers {transformers.__version__}, tokenizers {tokenizers.__version__}",
               "script": "scripts/reference/add_bos_eos_golden.py", "cases": cases}, f, ensure_ascii=False, indent=1)
    f.write("\n")
