package tokenizer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// Folders without tokenizer.json (and one whose tokenizer_config.json overrides the file's
// BertNormalizer), against transformers' AutoTokenizer (gen-folder-golden.py). The folders
// are built from tokenizer files in testdata exactly as the script builds them.

type folderGolden struct {
	Generator string `json:"generator"`
	Folders   map[string]struct {
		PaddingSide    string `json:"padding_side"`
		TruncationSide string `json:"truncation_side"`
		Cases          []struct {
			Name         string `json:"name"`
			IDs          []int  `json:"ids"`
			TypeIDs      []int  `json:"type_ids"`
			IDsNoSpecial []int  `json:"ids_no_special"`
			Decoded      string `json:"decoded"`
		} `json:"cases"`
		Pairs []struct {
			A       string `json:"a"`
			B       string `json:"b"`
			IDs     []int  `json:"ids"`
			TypeIDs []int  `json:"type_ids"`
		} `json:"pairs"`
	} `json:"folders"`
}

func readTokenizerDoc(tb testing.TB, name string) map[string]json.RawMessage {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(readTokenizerJSON(tb, name)), &doc); err != nil {
		tb.Fatal(err)
	}
	return doc
}

// testFolders writes the folders of gen-folder-golden.py.
func testFolders(t *testing.T) map[string]string {
	minilm, qwen3 := readTokenizerDoc(t, "minilm"), readTokenizerDoc(t, "qwen3")
	var mm struct {
		Vocab map[string]int `json:"vocab"`
	}
	if err := json.Unmarshal(minilm["model"], &mm); err != nil {
		t.Fatal(err)
	}
	toks := make([]string, 0, len(mm.Vocab))
	for tok := range mm.Vocab {
		toks = append(toks, tok)
	}
	sort.Slice(toks, func(i, j int) bool { return mm.Vocab[toks[i]] < mm.Vocab[toks[j]] })
	vocabTxt := strings.Join(toks, "\n") + "\n"
	var qm struct {
		Vocab  json.RawMessage   `json:"vocab"`
		Merges []json.RawMessage `json:"merges"`
	}
	if err := json.Unmarshal(qwen3["model"], &qm); err != nil {
		t.Fatal(err)
	}
	var merges strings.Builder
	merges.WriteString("#version: 0.2\n")
	for _, m := range qm.Merges {
		var s string
		var pair []string
		if json.Unmarshal(m, &s) != nil {
			if err := json.Unmarshal(m, &pair); err != nil {
				t.Fatal(err)
			}
			s = strings.Join(pair, " ")
		}
		merges.WriteString(s + "\n")
	}
	minilmJSON := readTokenizerJSON(t, "minilm")
	bert := `"tokenizer_class": "BertTokenizer", "model_max_length": 512`
	folders := map[string]map[string]string{
		"vocab-uncased": {"vocab.txt": vocabTxt, "tokenizer_config.json": `{` + bert + `, "do_lower_case": true}`},
		"vocab-cased":   {"vocab.txt": vocabTxt, "tokenizer_config.json": `{` + bert + `, "do_lower_case": false}`},
		"vocab-lower-keep-accents-no-cjk": {"vocab.txt": vocabTxt, "tokenizer_config.json": `{` + bert +
			`, "do_lower_case": true, "strip_accents": false, "tokenize_chinese_chars": false}`},
		"json-config-cased": {"tokenizer.json": minilmJSON, "tokenizer_config.json": `{` + bert +
			`, "do_lower_case": false, "padding_side": "left", "truncation_side": "left"}`},
		"gpt2-vocab-merges": {"vocab.json": string(qm.Vocab), "merges.txt": merges.String(),
			"tokenizer_config.json": `{"tokenizer_class": "GPT2Tokenizer", "model_max_length": 1024}`},
	}
	root := t.TempDir()
	dirs := map[string]string{}
	for name, files := range folders {
		dir := filepath.Join(root, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for fn, content := range files {
			if err := os.WriteFile(filepath.Join(dir, fn), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		dirs[name] = dir
	}
	return dirs
}

func TestLoadDirGolden(t *testing.T) {
	var g folderGolden
	readGzipJSON(t, "../testdata/tokenizer-golden/folders.json.gz", &g)
	if len(g.Folders) == 0 {
		t.Fatal("folders golden is empty")
	}
	texts := map[string]string{}
	for _, c := range loadGolden(t, "qwen3-embedding").Cases {
		texts[c.Name] = c.Text
	}
	var extra [][2]string
	data, err := os.ReadFile("../scripts/hf-tokenizers/corpus-bert.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &extra); err != nil {
		t.Fatal(err)
	}
	for _, e := range extra {
		texts["bert-"+e[0]] = e[1]
	}
	dirs := testFolders(t)
	for name, f := range g.Folders {
		t.Run(name, func(t *testing.T) {
			dir, ok := dirs[name]
			if !ok {
				t.Fatalf("the test does not build folder %s", name)
			}
			tok, err := LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if tok.PaddingLeft() != (f.PaddingSide == "left") || tok.TruncationLeft() != (f.TruncationSide == "left") {
				t.Errorf("padding left %v truncation left %v, transformers says %s, %s", tok.PaddingLeft(), tok.TruncationLeft(), f.PaddingSide, f.TruncationSide)
			}
			for _, c := range f.Cases {
				text, ok := texts[c.Name]
				if !ok {
					t.Fatalf("no text %s", c.Name)
				}
				enc, err := tok.Encode(text, EncodeOptions{AddSpecialTokens: true})
				if err != nil {
					t.Errorf("%s: %v", c.Name, err)
					continue
				}
				if !reflect.DeepEqual(nonNil(enc.IDs), nonNil(c.IDs)) {
					t.Errorf("%s %q: ids: %s", c.Name, trim(text), firstDiff(enc.IDs, c.IDs))
					continue
				}
				if c.TypeIDs != nil && !reflect.DeepEqual(nonNil(enc.TypeIDs), nonNil(c.TypeIDs)) {
					t.Errorf("%s: type ids %v, want %v", c.Name, enc.TypeIDs, c.TypeIDs)
				}
				noSp, err := tok.Encode(text, EncodeOptions{})
				if err != nil || !reflect.DeepEqual(nonNil(noSp.IDs), nonNil(c.IDsNoSpecial)) {
					t.Errorf("%s: ids without special tokens: %v %s", c.Name, err, firstDiff(noSp.IDs, c.IDsNoSpecial))
				}
				if d, err := tok.Decode(c.IDs, false); err != nil || d != c.Decoded {
					t.Errorf("%s: decode = %q, %v; want %q", c.Name, trim(d), err, trim(c.Decoded))
				}
			}
			for _, p := range f.Pairs {
				enc, err := tok.EncodePair(texts[p.A], texts[p.B], EncodeOptions{AddSpecialTokens: true})
				if err != nil {
					t.Errorf("%s + %s: %v", p.A, p.B, err)
					continue
				}
				if !reflect.DeepEqual(nonNil(enc.IDs), nonNil(p.IDs)) {
					t.Errorf("%s + %s: ids: %s", p.A, p.B, firstDiff(enc.IDs, p.IDs))
				} else if p.TypeIDs != nil && !reflect.DeepEqual(nonNil(enc.TypeIDs), nonNil(p.TypeIDs)) {
					t.Errorf("%s + %s: type ids %v, want %v", p.A, p.B, enc.TypeIDs, p.TypeIDs)
				}
			}
			t.Logf("%d cases, %d pairs (%s)", len(f.Cases), len(f.Pairs), g.Generator)
		})
	}
}

func TestLoadDirErrors(t *testing.T) {
	for _, c := range []struct {
		files map[string]string
		want  string
	}{
		{map[string]string{"spiece.model": "x"}, "only a SentencePiece model (spiece.model); provide its tokenizer.json"},
		{map[string]string{"config.json": "{}"}, "want tokenizer.json, vocab.txt, or vocab.json with merges.txt"},
		{map[string]string{"vocab.json": `{"a":0}`, "merges.txt": "a b c\n"}, "merges.txt line 1"},
		{map[string]string{"vocab.json": `{"a":0}`, "merges.txt": "", "tokenizer_config.json": `{"tokenizer_class":"Qwen2Tokenizer"}`}, `tokenizer_class "Qwen2Tokenizer"`},
		{map[string]string{"vocab.txt": "a\nb\n"}, `the cls token "[CLS]" or the sep token "[SEP]" is not in the vocabulary`},
		{map[string]string{"vocab.txt": "[CLS]\n[SEP]\n", "tokenizer_config.json": `{"padding_side": "middle"}`}, `padding_side "middle"`},
	} {
		dir := t.TempDir()
		for fn, content := range c.files {
			if err := os.WriteFile(filepath.Join(dir, fn), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err := LoadDir(dir)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want it to contain %q", c.files, err, c.want)
		}
		if strings.Contains(c.want, "SentencePiece") && !errors.Is(err, ErrNoTokenizer) {
			t.Errorf("%v: %v is not ErrNoTokenizer", c.files, err)
		}
	}
}
