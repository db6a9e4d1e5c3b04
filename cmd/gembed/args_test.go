package main

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPermuteArgs(t *testing.T) {
	app := newApp(strings.NewReader(""), io.Discard, io.Discard)
	tests := []struct {
		in, want []string
		seen     []string
		wantErr  string
	}{
		{[]string{"gembed", "embed", "x", "--dimensions", "8"}, []string{"gembed", "embed", "--dimensions", "8", "--", "x"}, []string{"dimensions"}, ""},
		{[]string{"gembed", "embed", "x", "-m=DIR", "--no-truncate", "y"}, []string{"gembed", "embed", "-m=DIR", "--no-truncate", "--", "x", "y"}, []string{"model", "no-truncate"}, ""},
		{[]string{"gembed", "embed", "--threads", "-2", "x"}, []string{"gembed", "embed", "--threads", "-2", "--", "x"}, []string{"threads"}, ""},
		{[]string{"gembed", "embed", "--", "-x", "--dimensions"}, []string{"gembed", "embed", "--", "-x", "--dimensions"}, nil, ""},
		{[]string{"gembed", "embed", "-", "x"}, []string{"gembed", "embed", "--", "-", "x"}, nil, ""},
		{[]string{"gembed", "embed", "x", "--dimension", "8"}, nil, nil, "unknown flag --dimension"},
		{[]string{"gembed", "embed", "x", "--format"}, nil, nil, "needs a value"},
		{[]string{"gembed", "frobnicate", "--x"}, []string{"gembed", "frobnicate", "--x"}, nil, ""},
		{[]string{"gembed", "--version"}, []string{"gembed", "--version"}, nil, ""},
		{[]string{"gembed", "embed", "-h", "x"}, []string{"gembed", "embed", "-h", "--", "x"}, []string{"help"}, ""},
	}
	for _, tt := range tests {
		got, seen, err := permuteArgs(app, tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %q, %v; want %q", tt.in, got, err, tt.want)
		}
		for _, name := range tt.seen {
			if !seen[name] {
				t.Errorf("%q: flag %s not recorded as given", tt.in, name)
			}
		}
	}
}

// The command line is outside input: any words give an error or a
// reordering that keeps the program and command in front and loses at most
// a trailing "--" with nothing after it.
func FuzzPermuteArgs(f *testing.F) {
	f.Add("embed x --dimensions 8 -- -y")
	f.Add("tokenize -m DIR Hello --no-special")
	f.Add("serve --addr= -a --model")
	app := newApp(strings.NewReader(""), io.Discard, io.Discard)
	f.Fuzz(func(t *testing.T, line string) {
		args := append([]string{"gembed"}, strings.Fields(line)...)
		got, _, err := permuteArgs(app, args)
		if err != nil {
			return
		}
		if len(got) < len(args)-1 || len(got) > len(args)+1 || got[0] != "gembed" || (len(args) > 1 && got[1] != args[1]) {
			t.Fatalf("%q became %q", args, got)
		}
	})
}

func TestServedName(t *testing.T) {
	cache := t.TempDir()
	snap := filepath.Join(cache, "models--Qwen--Qwen3-Embedding-0.6B", "snapshots", strings.Repeat("c", 40))
	plain := filepath.Join(cache, "my-model")
	for _, d := range []string{snap, plain} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for in, want := range map[string]string{
		"Qwen/Qwen3-Embedding-0.6B": "Qwen/Qwen3-Embedding-0.6B",
		snap:                        "Qwen/Qwen3-Embedding-0.6B",
		plain:                       "my-model",
		plain + "/":                 "my-model",
	} {
		if got := servedName(in); got != want {
			t.Errorf("servedName(%q) = %q, want %q", in, got, want)
		}
	}
}
