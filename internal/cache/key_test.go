package cache

import (
	"encoding/json"
	"testing"

	"github.com/cja-sdr/cja-sdr/internal/cja"
)

func TestKey(t *testing.T) {
	var a, b []cja.Component
	json.Unmarshal([]byte(`[{"id":"metrics/x","name":"X","tags":["a"]}]`), &a)
	json.Unmarshal([]byte(`[{"tags":["a"],"name":"X","id":"metrics/x"}]`), &b)
	dims := []cja.Component{{"id": "variables/d"}}

	k := Key(a, dims)
	if len(k) != 64 {
		t.Fatalf("Key = %q, want 64 hex digits", k)
	}
	if Key(b, dims) != k {
		t.Error("field order changed the key")
	}
	if Key(a, dims) != k {
		t.Error("Key is not deterministic")
	}
	for name, other := range map[string]string{
		"metrics and dimensions swapped": Key(dims, a),
		"a field changed":                Key([]cja.Component{{"id": "metrics/x", "name": "Y", "tags": []any{"a"}}}, dims),
		"no dimensions":                  Key(a, nil),
	} {
		if other == k {
			t.Errorf("%s: same key", name)
		}
	}
}
