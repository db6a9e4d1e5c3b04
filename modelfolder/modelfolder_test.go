package modelfolder

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const bertModules = `[
 {"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
 {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.base.modules.pooling.Pooling"},
 {"idx":2,"name":"2","path":"2_Dense","type":"sentence_transformers.models.Dense.Dense"},
 {"idx":3,"name":"3","path":"3_Normalize","type":"sentence_transformers.models.Normalize"}]`

func TestRead(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		check func(t *testing.T, f *Folder)
		err   string
	}{
		{"config only", map[string]string{"config.json": `{"model_type":"bert","architectures":["BertModel"]}`}, func(t *testing.T, f *Folder) {
			if f.ModelType != "bert" || f.HasModules || f.Pooling != nil || !reflect.DeepEqual(f.Architectures, []string{"BertModel"}) {
				t.Fatalf("%+v", f)
			}
		}, ""},
		{"pipeline", map[string]string{
			"config.json":                       `{"model_type":"bert"}`,
			"modules.json":                      bertModules,
			"1_Pooling/config.json":             `{"word_embedding_dimension":32,"pooling_mode_cls_token":true,"pooling_mode_mean_tokens":true,"include_prompt":false}`,
			"2_Dense/config.json":               `{"in_features":64,"out_features":16,"bias":false,"activation_function":"torch.nn.modules.activation.Tanh"}`,
			"sentence_bert_config.json":         `{"max_seq_length":128,"do_lower_case":true}`,
			"tokenizer_config.json":             `{"model_max_length":1000000000000000019884624838656,"do_lower_case":true,"padding_side":"right"}`,
			"config_sentence_transformers.json": `{"prompts":{"query":"q: "},"default_prompt_name":"query","similarity_fn_name":"cosine"}`,
		}, func(t *testing.T, f *Folder) {
			if !f.HasModules || len(f.Modules) != 4 || !f.Normalize {
				t.Fatalf("modules %+v", f.Modules)
			}
			if want := (&Pooling{Dimension: 32, Modes: []string{"cls", "mean"}, IncludePrompt: false}); !reflect.DeepEqual(f.Pooling, want) {
				t.Fatalf("pooling %+v", f.Pooling)
			}
			if want := []Dense{{Path: "2_Dense", In: 64, Out: 16, Bias: false, Activation: "Tanh"}}; !reflect.DeepEqual(f.Dense, want) {
				t.Fatalf("dense %+v", f.Dense)
			}
			if f.Transformer != (Transformer{MaxSeqLength: 128, DoLowerCase: true}) || f.Tokenizer.ModelMaxLength != 0 || !f.Tokenizer.DoLowerCase {
				t.Fatalf("%+v %+v", f.Transformer, f.Tokenizer)
			}
			if f.ST.DefaultPromptName != "query" || f.ST.Similarity != "cosine" {
				t.Fatalf("%+v", f.ST)
			}
		}, ""},
		{"unknown module", map[string]string{"config.json": `{}`, "modules.json": `[{"path":"x","type":"sentence_transformers.models.WordWeights"}]`}, nil, `"sentence_transformers.models.WordWeights"`},
		{"module escapes", map[string]string{"config.json": `{}`, "modules.json": `[{"path":"../x","type":"sentence_transformers.models.Pooling"}]`}, nil, "not a clean path"},
		{"pooling config missing", map[string]string{"config.json": `{}`, "modules.json": `[{"path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]`}, nil, "Pooling module's config is missing"},
		{"no pooling mode", map[string]string{"config.json": `{}`, "modules.json": `[{"path":"p","type":"sentence_transformers.models.Pooling"}]`, "p/config.json": `{}`}, nil, "no pooling_mode_* is true"},
		{"pooling flag type", map[string]string{"config.json": `{}`, "modules.json": `[{"path":"p","type":"sentence_transformers.models.Pooling"}]`, "p/config.json": `{"pooling_mode_lasttoken":"yes"}`}, nil, `field "pooling_mode_lasttoken"`},
		{"dense features", map[string]string{"config.json": `{}`, "modules.json": `[{"path":"d","type":"sentence_transformers.models.Dense"}]`, "d/config.json": `{"in_features":0,"out_features":3}`}, nil, "out of range"},
		{"default prompt missing", map[string]string{"config.json": `{}`, "config_sentence_transformers.json": `{"prompts":{},"default_prompt_name":"a"}`}, nil, `default_prompt_name "a" is not in prompts`},
		{"bad config", map[string]string{"config.json": `{`}, nil, "config.json"},
		{"no config", map[string]string{}, nil, "config.json"},
		{"bad max_seq_length", map[string]string{"config.json": `{}`, "sentence_bert_config.json": `{"max_seq_length":0}`}, nil, "max_seq_length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tc.files)
			f, err := Read(dir)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, f)
		})
	}
}

func TestWeightsAndMissing(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"config.json": `{}`})
	if got := Missing(dir); !reflect.DeepEqual(got, []string{"tokenizer.json", "model.safetensors"}) {
		t.Fatalf("Missing = %v", got)
	}
	write(t, dir, map[string]string{"tokenizer.json": `{}`,
		"model.safetensors.index.json": `{"weight_map":{"a":"sub/s1.safetensors","b":"s2.safetensors","c":"s2.safetensors"}}`,
		"sub/s1.safetensors":           "x"})
	if got := Missing(dir); !reflect.DeepEqual(got, []string{"s2.safetensors"}) {
		t.Fatalf("Missing = %v", got)
	}
	w, err := ReadWeights(dir)
	if err != nil || !reflect.DeepEqual(w.Shards, []string{"s2.safetensors", "sub/s1.safetensors"}) {
		t.Fatalf("ReadWeights = %+v, %v", w, err)
	}
	write(t, dir, map[string]string{"model.safetensors.index.json": `{"weight_map":{"a":"../s1.safetensors"}}`})
	if got := Missing(dir); !reflect.DeepEqual(got, []string{"model.safetensors.index.json (unreadable)"}) {
		t.Fatalf("Missing = %v", got)
	}
}

// TestMissingModules: the modules' files count as much as the model's own.
func TestMissingModules(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"config.json": `{}`, "tokenizer.json": `{}`, "model.safetensors": "x",
		"modules.json": bertModules})
	if got, want := Missing(dir), []string{"1_Pooling/config.json", "2_Dense/config.json", "2_Dense/model.safetensors"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Missing = %v, want %v", got, want)
	}
	write(t, dir, map[string]string{"1_Pooling/config.json": `{}`, "2_Dense/config.json": `{}`, "2_Dense/pytorch_model.bin": "x"})
	if got := Missing(dir); len(got) != 0 {
		t.Fatalf("Missing = %v, want nothing (a Dense module's pytorch_model.bin is its weights)", got)
	}
	write(t, dir, map[string]string{"modules.json": `[{"path":"../x","type":"sentence_transformers.models.Dense"}]`})
	if got := Missing(dir); !reflect.DeepEqual(got, []string{"modules.json (unreadable)"}) {
		t.Fatalf("Missing = %v", got)
	}
}

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"weight_map":{"a":"x.safetensors","b":"sub/y.safetensors"}}`))
	f.Add([]byte(`{"weight_map":{"a":"x.safetensors","a":"y.safetensors"}}`))
	f.Add([]byte(`{"metadata":{"total_size":8},"weight_map":{"a":"../x"}}`))
	f.Add([]byte(`{"weight_map":{"a":"C:x"}}`))
	f.Add([]byte(`{"weight_map":{"a":"..0"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseIndex("fuzz.index.json", data)
		if err != nil {
			return
		}
		for name, shard := range m {
			if CheckRelPath(shard) != nil || strings.Contains(shard, "..") && filepath.Clean(shard) != shard {
				t.Fatalf("accepted shard %q for %q", shard, name)
			}
			// "..0" is a file name in the folder; only ".." as a whole element escapes.
			if !filepath.IsLocal(shard) {
				t.Fatalf("shard %q for %q escapes the folder", shard, name)
			}
		}
	})
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(bertModules), []byte(`{"pooling_mode_mean_tokens":true}`))
	f.Add([]byte(`[{"path":"","type":"x"}]`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, modules, pooling []byte) {
		dir := t.TempDir()
		write(t, dir, map[string]string{"config.json": `{"model_type":"bert"}`, "modules.json": string(modules),
			"1_Pooling/config.json": string(pooling), "2_Dense/config.json": `{"in_features":4,"out_features":2}`})
		f, err := Read(dir)
		if err != nil {
			return
		}
		if f.Pooling != nil && len(f.Pooling.Modes) == 0 {
			t.Fatal("a pooling module without modes was accepted")
		}
	})
}

func TestModuleFiles(t *testing.T) {
	configs, folders, err := ModuleFiles([]byte(bertModules))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"1_Pooling/config.json", "2_Dense/config.json"}; !reflect.DeepEqual(configs, want) {
		t.Fatalf("ModuleFiles configs = %v, want %v", configs, want)
	}
	if want := []string{"2_Dense"}; !reflect.DeepEqual(folders, want) {
		t.Fatalf("ModuleFiles weight folders = %v, want %v", folders, want)
	}
	if _, _, err := ModuleFiles([]byte(`[{"path":"../x","type":"sentence_transformers.models.Dense"}]`)); err == nil {
		t.Fatal("a module path escaping the folder was accepted")
	}
}
