package modelgen

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// goldenSHA256 pins the generator's output: other engineers commit vectors
// computed from these exact bytes. If this test fails, you changed the
// generator: revert, or bump GeneratorVersion and regenerate every golden file.
var goldenSHA256 = map[string]map[string]string{
	"qwen3-f32": {
		"config.json":       "217a302417aff6173085534e5e96ff38d9cd0532905e4bbe6a5c6a131522abc8",
		"model.safetensors": "81e002bddb9430729374ad91775b33bf3ba1cd069204af6eb0b0c1058e4442d5",
	},
	"qwen3-bf16": {
		"config.json":       "dfb2c4838486cc2c0dd91d1657d81abf4a5f8001444b3de1a387505fd0d98652",
		"model.safetensors": "25285afee8b9aac842e1ff66d85cb26f614e3667b016130815615c29c9810b14",
	},
	"qwen3-sharded": {
		"config.json":                      "217a302417aff6173085534e5e96ff38d9cd0532905e4bbe6a5c6a131522abc8",
		"model-00001-of-00002.safetensors": "2041d2ef23bb487648b03c650bec46d4e511ae44688720f0762f77c237abfb8e",
		"model-00002-of-00002.safetensors": "3d8232fc8e1d7b7f275d87cfa08c7d27a9a7c70ffd019ce0cc9cc8ec4f9079a6",
		"model.safetensors.index.json":     "f42c1d0cc227cbfd6234dcbf3710c26875dcc8dbf6b164c7490693cf7aca464d",
	},
	"qwen2-f32": {
		"config.json":       "8eaf787fc59f2014939e70c191147d866a4573e2eb07c2c459cf75297be0d062",
		"model.safetensors": "8578326a03c1813f0f61f836ec0775f2bec00a13f1750dc4c17ab215349f3a92",
	},
	"gemma3-f32": {
		"config.json":               "3d35967bf991c3005dd9bca9e7e9c53a35ab84b5fcdef9371e69c4037d151925",
		"model.safetensors":         "2db390a1b71de21854d6a3cd06b1339384860652410e695df8d7e7015a519fe4",
		"1_Pooling/config.json":     "7c1e9997b277d7b02ffb319b3c69dada792971ed8d1098a71082752ba93cce6c",
		"2_Dense/config.json":       "533a891fd74a5e6726ac04e5e7d97670ceb047077ef13e559ec10bb888c0c4a7",
		"2_Dense/model.safetensors": "e1ad06649ad6f88aae2fbd4b4497e3840a89d20cd70eb0f3de96a27585841c50",
		"3_Dense/config.json":       "d0244d0e013480d8b6ac2b18d1250d9379da2ff144b83d7bc410ebe84d42bb0c",
		"3_Dense/model.safetensors": "ceaeafe9d3248560cd79acbe0cd3104409d16fa18fe39e1df55f1e47a22c3138",
	},
	"mistral-sharded": {
		"config.json":                      "5e6aa7acd6411105907644535b36ed310b2227d3c53eabcc34baf70a25c89107",
		"model-00001-of-00003.safetensors": "ffb800019f4e3292a9069ebe2a9393ac99b54632b9ecfdde0c7a412c77087fa5",
		"model-00002-of-00003.safetensors": "b61663d3a51b728ff2ccde37fe8a773358526cc3628ac8130d4d7e3952536193",
		"model-00003-of-00003.safetensors": "f40a052d062472cf860282ea4ef6cb27852912e464e28388e1c2a1bb75b2e898",
		"model.safetensors.index.json":     "1e4837ecba53495ccaad60c022d9ae762bd33fede702b57d8fafe7d49d3f11ee",
	},
	"llama-f32": {
		"config.json":       "1e99b583c3b5616d8f93e58111ec2f6c9e121c949134f430a62448d6b390b600",
		"model.safetensors": "947022be26d9405b6ff443b5fd55740779dec03d2b8fbdb13d7dcd23b7ead5e3",
	},
	"bert-mean": {
		"1_Pooling/config.json":             "ad49a76069f005201f18a81d3db35b404bd6c4553be7fb0b0422a56f809a58f6",
		"config.json":                       "8f48142936bcff5612af34a2d6a64b917a7319bea3b7a02cfbb68f38e183adbe",
		"config_sentence_transformers.json": "96a2935607d7fe0503ccdddffd67e516ee572d4da58125734279a2cc9f57c400",
		"model.safetensors":                 "26e92dc16c8aee19005277c81499a35d6adf5dca4f3fbe78cef704e2f9eafb09",
		"modules.json":                      "21ddb3037a55ebf4549eb5c1dc44c3f28f10b56ec7f1335c92fd90e5b30d88ac",
		"sentence_bert_config.json":         "3798a84315d48f42417bad2c7c4ad11e3ce24526bb4e9b69046df78b2960e6ed",
		"special_tokens_map.json":           "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer_config.json":             "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
	},
	"bert-cls-dense": {
		"1_Pooling/config.json":             "72610a9e78a412b818000b5266de87bb39a9e5c44f50a80d51f2b21407b6c689",
		"2_Dense/config.json":               "bfe9acc9f81f13fab803ad54f1802cde20bc8945c20875031e901f7d6eb6b82e",
		"2_Dense/model.safetensors":         "0ec9917e31ca267f73dba5a8f107c51233c3994ae74b87963cc42cce99cf82c4",
		"3_Dense/config.json":               "5561ca523469693f558237a968c9a4a8c1a1087c689f6e023786060e95270bca",
		"3_Dense/model.safetensors":         "33646a43ea0d6da4d675d567c2132300f79b1f0af5a91b39ee855bfa8a201c3f",
		"config.json":                       "8f48142936bcff5612af34a2d6a64b917a7319bea3b7a02cfbb68f38e183adbe",
		"config_sentence_transformers.json": "96a2935607d7fe0503ccdddffd67e516ee572d4da58125734279a2cc9f57c400",
		"model.safetensors":                 "98a1d161c6fa30110819f00803ac7b65d7b9f875d2a51758adaf6105d85b41ae",
		"modules.json":                      "9f00b27129bc079099d3321ab00ee5dfbefd1c9b0eca1120272ed62a4cf313f8",
		"sentence_bert_config.json":         "3798a84315d48f42417bad2c7c4ad11e3ce24526bb4e9b69046df78b2960e6ed",
		"special_tokens_map.json":           "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer_config.json":             "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
	},
	"bert-modes": {
		"1_Pooling/config.json":             "e5ed1999a4f9a3ffd1cbce33e7b1a5719f8a8770aba669e93a1dd19f0a513e32",
		"config.json":                       "8f48142936bcff5612af34a2d6a64b917a7319bea3b7a02cfbb68f38e183adbe",
		"config_sentence_transformers.json": "42be6288750440e143f1337c6a865c161336d53aa1f725b67a38d04d9c5ab580",
		"model.safetensors":                 "10d2edc6f3e90b0d78e75035122657902e559812c6a7fe0519b628978d7e6cdb",
		"modules.json":                      "0580fad756940809b1bc064ce1e7c1275c8b0dd80869562fe0abeb6f7059cb97",
		"sentence_bert_config.json":         "3798a84315d48f42417bad2c7c4ad11e3ce24526bb4e9b69046df78b2960e6ed",
		"special_tokens_map.json":           "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer_config.json":             "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
	},
	"roberta-mean": {
		"1_Pooling/config.json":             "ad49a76069f005201f18a81d3db35b404bd6c4553be7fb0b0422a56f809a58f6",
		"config.json":                       "b4515eea5b8ee4281d03660e3231efa734a99262554ba5304769ca2c494bebe0",
		"config_sentence_transformers.json": "96a2935607d7fe0503ccdddffd67e516ee572d4da58125734279a2cc9f57c400",
		"model.safetensors":                 "5d9546a0b4a52b3319096036177e67c417e809b04bd862007e91705138461665",
		"modules.json":                      "21ddb3037a55ebf4549eb5c1dc44c3f28f10b56ec7f1335c92fd90e5b30d88ac",
		"sentence_bert_config.json":         "3798a84315d48f42417bad2c7c4ad11e3ce24526bb4e9b69046df78b2960e6ed",
		"special_tokens_map.json":           "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer_config.json":             "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
	},
	"modernbert-mean": {
		"1_Pooling/config.json":             "7c1e9997b277d7b02ffb319b3c69dada792971ed8d1098a71082752ba93cce6c",
		"config.json":                       "5942fc4a030026a2db8983df55c0c0617c67ae911032e12a60fbf14d49e11333",
		"config_sentence_transformers.json": "96a2935607d7fe0503ccdddffd67e516ee572d4da58125734279a2cc9f57c400",
		"model.safetensors":                 "43a35600a322b02f6080ea3bbcb969a8206c31d1dcc1a0435568a6d97eb2e0f9",
		"modules.json":                      "21ddb3037a55ebf4549eb5c1dc44c3f28f10b56ec7f1335c92fd90e5b30d88ac",
		"sentence_bert_config.json":         "3798a84315d48f42417bad2c7c4ad11e3ce24526bb4e9b69046df78b2960e6ed",
		"special_tokens_map.json":           "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer_config.json":             "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
	},
	"nomic-mean": {
		"1_Pooling/config.json":             "7c1e9997b277d7b02ffb319b3c69dada792971ed8d1098a71082752ba93cce6c",
		"config.json":                       "0f49d70f1e8381d3cfe7e23e5d49eda2cbf524877b906645658a11a3e4edfae9",
		"config_sentence_transformers.json": "96a2935607d7fe0503ccdddffd67e516ee572d4da58125734279a2cc9f57c400",
		"model.safetensors":                 "8b31b27611d350b9bccd6fdb1a6f0e0121318247e1fba10e9b098c7d30bbb1fb",
		"modules.json":                      "21ddb3037a55ebf4549eb5c1dc44c3f28f10b56ec7f1335c92fd90e5b30d88ac",
		"sentence_bert_config.json":         "3798a84315d48f42417bad2c7c4ad11e3ce24526bb4e9b69046df78b2960e6ed",
		"special_tokens_map.json":           "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer_config.json":             "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
	},
	"gte-cls": {
		"1_Pooling/config.json":             "412d4fe395d78e95165965f5d413420e6d215d9c79f0211cdba4f1ad42146b13",
		"config.json":                       "78257e8036ee2b6fec4498f4a282e323f5b5aaee6db37147e73e4ec8d130b10e",
		"config_sentence_transformers.json": "96a2935607d7fe0503ccdddffd67e516ee572d4da58125734279a2cc9f57c400",
		"model.safetensors":                 "2902757508796f60cec4b64e88e07b233fec643178901a6224b5dd67ccf7a5cf",
		"modules.json":                      "21ddb3037a55ebf4549eb5c1dc44c3f28f10b56ec7f1335c92fd90e5b30d88ac",
		"sentence_bert_config.json":         "3798a84315d48f42417bad2c7c4ad11e3ce24526bb4e9b69046df78b2960e6ed",
		"special_tokens_map.json":           "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer_config.json":             "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
	},
	"modernbert-bias-cls": {
		"1_Pooling/config.json":             "412d4fe395d78e95165965f5d413420e6d215d9c79f0211cdba4f1ad42146b13",
		"config.json":                       "13f027813c69271996267aea28a9e9e54f05fbeb3f5d706e9c43051f8a954161",
		"config_sentence_transformers.json": "96a2935607d7fe0503ccdddffd67e516ee572d4da58125734279a2cc9f57c400",
		"model.safetensors":                 "6b81c134439dffb4c3d4d439f4726f5acc2acf5582060c2f53d1fcd268a20a12",
		"modules.json":                      "21ddb3037a55ebf4549eb5c1dc44c3f28f10b56ec7f1335c92fd90e5b30d88ac",
		"sentence_bert_config.json":         "3798a84315d48f42417bad2c7c4ad11e3ce24526bb4e9b69046df78b2960e6ed",
		"special_tokens_map.json":           "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer_config.json":             "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
	},
	"gte-types-mean": {
		"1_Pooling/config.json":             "7c1e9997b277d7b02ffb319b3c69dada792971ed8d1098a71082752ba93cce6c",
		"config.json":                       "ed33720b0b5f3e40329cdc61261b75c9763363e5b71ef7ba2b304fd95205b8ce",
		"config_sentence_transformers.json": "96a2935607d7fe0503ccdddffd67e516ee572d4da58125734279a2cc9f57c400",
		"model.safetensors":                 "8bdb8abff775832e9997372a4e8e416c7f0abd259a44e7eb97a9599debf6e496",
		"modules.json":                      "21ddb3037a55ebf4549eb5c1dc44c3f28f10b56ec7f1335c92fd90e5b30d88ac",
		"sentence_bert_config.json":         "3798a84315d48f42417bad2c7c4ad11e3ce24526bb4e9b69046df78b2960e6ed",
		"special_tokens_map.json":           "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer_config.json":             "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
	},
	"mpnet-mean": {
		"1_Pooling/config.json":             "ad49a76069f005201f18a81d3db35b404bd6c4553be7fb0b0422a56f809a58f6",
		"config.json":                       "d55fb3f12e0f287c4804747049bd0db242a230f7ac3268f6f5bbede9b1dce2b3",
		"config_sentence_transformers.json": "96a2935607d7fe0503ccdddffd67e516ee572d4da58125734279a2cc9f57c400",
		"model.safetensors":                 "00bf37c1fdd57b297ae1b733f08c0db3a341cbf104c39217aa0dfdbf55657545",
		"modules.json":                      "21ddb3037a55ebf4549eb5c1dc44c3f28f10b56ec7f1335c92fd90e5b30d88ac",
		"sentence_bert_config.json":         "3798a84315d48f42417bad2c7c4ad11e3ce24526bb4e9b69046df78b2960e6ed",
		"special_tokens_map.json":           "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer_config.json":             "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
	},
	"distilbert-mean": {
		"1_Pooling/config.json":             "ad49a76069f005201f18a81d3db35b404bd6c4553be7fb0b0422a56f809a58f6",
		"config.json":                       "966cdb8e32aeb96bfa41c1694f030d5ef4bf261020fc3fbc75945fa7a2779395",
		"config_sentence_transformers.json": "96a2935607d7fe0503ccdddffd67e516ee572d4da58125734279a2cc9f57c400",
		"model.safetensors":                 "69660d0fdf88db0cb98123c68ad09f110344c24f04401429a46cbd11ac087a39",
		"modules.json":                      "21ddb3037a55ebf4549eb5c1dc44c3f28f10b56ec7f1335c92fd90e5b30d88ac",
		"sentence_bert_config.json":         "3798a84315d48f42417bad2c7c4ad11e3ce24526bb4e9b69046df78b2960e6ed",
		"special_tokens_map.json":           "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
		"tokenizer_config.json":             "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
	},
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func TestGoldenHashes(t *testing.T) {
	for _, v := range Variants() {
		dir := TestModel(t, v)
		if len(goldenSHA256[v]) == 0 {
			t.Errorf("variant %s has no pinned sha256 (add its files to goldenSHA256)", v)
		}
		for name, want := range goldenSHA256[v] {
			got := fileSHA256(t, filepath.Join(dir, name))
			if got != want {
				t.Errorf("%s/%s: sha256 %s, want %s (generator output changed!)", v, name, got, want)
			}
		}
	}
}

// readSafetensors is a minimal independent reader used to check Write.
func readSafetensors(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(data)
	if (8+n)%8 != 0 {
		t.Errorf("%s: header length %d not padded to 8", path, n)
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	body := data[8+n:]
	out := map[string][]float32{}
	end := 0
	for name, raw := range header {
		if name == "__metadata__" {
			continue
		}
		var info struct {
			DType       string `json:"dtype"`
			Shape       []int  `json:"shape"`
			DataOffsets [2]int `json:"data_offsets"`
		}
		if err := json.Unmarshal(raw, &info); err != nil {
			t.Fatal(err)
		}
		b := body[info.DataOffsets[0]:info.DataOffsets[1]]
		end = max(end, info.DataOffsets[1])
		var vals []float32
		switch info.DType {
		case "F32":
			for i := 0; i < len(b); i += 4 {
				vals = append(vals, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
			}
		case "BF16":
			for i := 0; i < len(b); i += 2 {
				vals = append(vals, math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[i:]))<<16))
			}
		case "F16":
			for i := 0; i < len(b); i += 2 {
				vals = append(vals, f16ToF32(binary.LittleEndian.Uint16(b[i:])))
			}
		default:
			t.Fatalf("dtype %s", info.DType)
		}
		elems := 1
		for _, d := range info.Shape {
			elems *= d
		}
		if elems != len(vals) {
			t.Fatalf("%s: %d values for shape %v", name, len(vals), info.Shape)
		}
		out[name] = vals
	}
	if end != len(body) {
		t.Errorf("%s: data ends at %d, file body is %d bytes", path, end, len(body))
	}
	return out
}

func TestWriteMatchesTensors(t *testing.T) {
	for _, v := range Variants() {
		spec, _ := Variant(v)
		dir := TestModel(t, v)
		got := map[string][]float32{}
		for i := 0; i < spec.Shards; i++ {
			for k, vals := range readSafetensors(t, filepath.Join(dir, shardFileName(i, spec.Shards))) {
				got[k] = vals
			}
		}
		want := Tensors(spec)
		if len(got) != len(want) {
			t.Errorf("%s: %d tensors in files, Tensors has %d", v, len(got), len(want))
		}
		for _, w := range want {
			g := got[w.Name]
			if len(g) != len(w.Data) {
				t.Fatalf("%s %s: %d values, want %d", v, w.Name, len(g), len(w.Data))
			}
			for i := range g {
				if math.Float32bits(g[i]) != math.Float32bits(w.Data[i]) {
					t.Fatalf("%s %s[%d] = %v, want %v", v, w.Name, i, g[i], w.Data[i])
				}
			}
		}
	}
}

func TestVariantsRelated(t *testing.T) {
	f32 := Tensors(Tiny("qwen3"))
	bf := Variant2(t, "qwen3-bf16")
	for i, tt := range f32 {
		for j, v := range tt.Data {
			want := math.Float32frombits(uint32(f32ToBF16(v)) << 16)
			if bf[i].Data[j] != want {
				t.Fatalf("%s[%d]: bf16 %v, want round(%v) = %v", tt.Name, j, bf[i].Data[j], v, want)
			}
		}
	}
}

func Variant2(t *testing.T, name string) []NamedTensor {
	s, err := Variant(name)
	if err != nil {
		t.Fatal(err)
	}
	return Tensors(s)
}

func TestValueScales(t *testing.T) {
	for _, arch := range []string{"qwen3", "qwen2"} {
		s := Tiny(arch)
		for _, tt := range Tensors(s) {
			var sum, sq float64
			for _, v := range tt.Data {
				sum += float64(v)
				sq += float64(v) * float64(v)
			}
			n := float64(len(tt.Data))
			mean := sum / n
			std := math.Sqrt(sq/n - mean*mean)
			var wantMean, wantStd float64
			switch {
			case tt.Name == "embed_tokens.weight" || tt.Name == "model.embed_tokens.weight":
				wantStd = 1
			case filepath.Ext(tt.Name) == ".bias":
				wantStd = 0.02
			case len(tt.Shape) == 1:
				wantMean, wantStd = 1, 0.1
			default:
				wantStd = 1 / math.Sqrt(float64(tt.Shape[1]))
			}
			tol := 4 / math.Sqrt(n) * 2 // generous for tiny tensors
			if math.Abs(mean-wantMean) > tol*wantStd+1e-3 || math.Abs(std-wantStd) > 0.25*wantStd {
				t.Errorf("%s %s: mean %.4f std %.4f, want ~%.4f, ~%.4f", arch, tt.Name, mean, std, wantMean, wantStd)
			}
		}
	}
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	s := Tiny("qwen3")
	d := s.tensors()[0] // the embedding: many chunks
	prev := runtime.GOMAXPROCS(1)
	one := tensorValues(s, d)
	runtime.GOMAXPROCS(4)
	four := tensorValues(s, d)
	runtime.GOMAXPROCS(prev)
	for i := range one {
		if one[i] != four[i] {
			t.Fatalf("value %d differs: %v vs %v", i, one[i], four[i])
		}
	}
}

func TestF16RoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := f16ToF32(uint16(h))
		if f != f {
			continue
		}
		if got := f32ToF16(f); got != uint16(h) {
			t.Fatalf("f16 %#04x -> %v -> %#04x", h, f, got)
		}
	}
	cases := []struct {
		in   float32
		want uint16
	}{
		{65520, 0x7c00},                 // rounds up to inf
		{65519, 0x7bff},                 // max finite
		{0x1p-25, 0},                    // tie to even: zero
		{0x1.8p-25, 1},                  // above half: smallest subnormal
		{0x1p-24 * 1.5, 2},              // tie between 1 and 2: even
		{1 + 0x1p-11, 0x3c00},           // tie: even
		{1 + 0x1p-11 + 0x1p-20, 0x3c01}, // above tie
	}
	for _, c := range cases {
		if got := f32ToF16(c.in); got != c.want {
			t.Errorf("f32ToF16(%v) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
}

func TestShardPlan(t *testing.T) {
	s := Tiny("qwen3")
	for n := 2; n <= 5; n++ {
		s.Shards = n
		plan := s.shardPlan()
		total := 0
		for i, sh := range plan {
			if len(sh) == 0 {
				t.Errorf("%d shards: shard %d empty", n, i)
			}
			total += len(sh)
		}
		if total != len(s.tensors()) {
			t.Errorf("%d shards: %d tensors, want %d", n, total, len(s.tensors()))
		}
	}
}

func TestFull06BShape(t *testing.T) {
	s := Full06B()
	total := 0
	for _, d := range s.tensors() {
		total += d.elems()
	}
	// Qwen3-Embedding-0.6B: 595,776,512 parameters (tied embedding counted once).
	if total != 595776512 {
		t.Errorf("Full06B has %d parameters", total)
	}
}
