package tokenizer

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzFieldValues: a component's fields read through fieldValues (its type with
// unmarshalField, a Sequence's elements with arrayField, a charsmap with stringField) are what encoding/json reads from the whole object, and
// one is an error exactly when the other is.
func FuzzFieldValues(f *testing.F) {
	for _, s := range []string{`{"type":"NFC"}`, `{"Type":"A","TYPE":"B"}`, `{"type":5,"type":"A"}`, `{"type":"A","type":null}`,
		`null`, `[]`, `"x"`, `{"type":"Sequence","normalizers":[{"type":"NFC"},null,{"type":"Precompiled","precompiled_charsmap":"AAB\/"}]}`,
		`{"normalizers":[1],"normalizers":null}`, `{"precompiled_charsmap":null}`, `{"precompiled_charsmap":"\u00e9\ud800"}`, `{"a":{"type":"x"}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		j := &jsonScanner{s: s}
		raw, err := j.raw()
		if j.ws(); err != nil || j.pos != len(s) {
			return // components reach their builders as one value the file reader accepted
		}
		var want struct {
			Type        string            `json:"type"`
			Normalizers []json.RawMessage `json:"normalizers"`
			Charsmap    *string           `json:"precompiled_charsmap"`
		}
		wantErr := json.Unmarshal([]byte(raw), &want)
		var typ string
		err1 := unmarshalField(raw, "type", &typ)
		subs, err2 := arrayField(raw, "normalizers")
		charsmap, err3 := stringField(raw, "precompiled_charsmap")
		gotErr := err1 != nil || err2 != nil || err3 != nil
		if gotErr != (wantErr != nil) {
			t.Fatalf("%q: errors %v %v %v, encoding/json %v", raw, err1, err2, err3, wantErr)
		}
		if wantErr != nil {
			return
		}
		if typ != want.Type || (charsmap == nil) != (want.Charsmap == nil) || charsmap != nil && *charsmap != *want.Charsmap {
			t.Fatalf("%q: type %q charsmap %v, encoding/json %q %v", raw, typ, charsmap, want.Type, want.Charsmap)
		}
		if len(subs) != len(want.Normalizers) {
			t.Fatalf("%q: %d normalizers, encoding/json %d", raw, len(subs), len(want.Normalizers))
		}
		for i := range subs {
			if !bytes.Equal([]byte(subs[i]), want.Normalizers[i]) {
				t.Fatalf("%q: normalizers[%d] %s, encoding/json %s", raw, i, subs[i], want.Normalizers[i])
			}
		}
	})
}
