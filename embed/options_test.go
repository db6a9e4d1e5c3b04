package embed

import (
	"errors"
	"testing"
)

func TestParsePooling(t *testing.T) {
	for in, want := range map[string]Pooling{"cls": PoolCLS, "mean": PoolMean, "lasttoken": PoolLastToken, "last_token": PoolLastToken} {
		if got, err := ParsePooling(in); err != nil || got != want {
			t.Errorf("ParsePooling(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "max", "splade"} {
		if _, err := ParsePooling(in); err == nil {
			t.Errorf("ParsePooling(%q): no error", in)
		}
	}
}

func TestCheckOption(t *testing.T) {
	for _, tt := range []struct {
		option string
		value  int
		ok     bool
	}{{"threads", 0, true}, {"threads", 3, true}, {"threads", -1, false}, {"dimensions", -5, false}, {"batch-tokens", 0, true}} {
		err := CheckOption(tt.option, tt.value)
		var oe *OptionError
		if (err == nil) != tt.ok || (err != nil && (!errors.As(err, &oe) || oe.Option != tt.option || oe.Value != tt.value)) {
			t.Errorf("CheckOption(%q, %d) = %v", tt.option, tt.value, err)
		}
	}
}
