package cache

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/quality"
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
		"a name changed":                 Key([]cja.Component{{"id": "metrics/x", "name": "Y", "tags": []any{"a"}}}, dims),
		"no dimensions":                  Key(a, nil),
		"moved between types":            Key(nil, append(append([]cja.Component{}, a...), dims...)),
	} {
		if other == k {
			t.Errorf("%s: same key", name)
		}
	}
}

// Every state the checks can tell apart gives another key; fields the checks
// never read do not change it.
func TestKeyCoversWhatTheChecksRead(t *testing.T) {
	base := cja.Component{"id": "metrics/x", "name": "X", "type": "int", "description": "d", "tags": []any{"a"}}
	k := Key([]cja.Component{base}, nil)
	seen := map[string]string{k: "base"}
	for _, f := range KeyFields {
		for _, v := range []any{"__absent__", nil, "", "n/a", 7.0, true} {
			c := cja.Component{}
			for kk, vv := range base {
				c[kk] = vv
			}
			if v == "__absent__" {
				delete(c, f)
			} else {
				c[f] = v
			}
			got := Key([]cja.Component{c}, nil)
			label := fmt.Sprintf("%s=%#v", f, v)
			if prev, dup := seen[got]; dup {
				t.Errorf("%s gives the same key as %s", label, prev)
			}
			seen[got] = label
		}
	}
	other := cja.Component{}
	for kk, vv := range base {
		other[kk] = vv
	}
	other["tags"] = []any{"b"}
	other["persistenceSetting"] = map[string]any{"enabled": true}
	if Key([]cja.Component{other}, nil) != k {
		t.Error("a field the checks never read changed the key")
	}
	// And the claim behind it: the checks give the same result for both.
	if fmt.Sprint(quality.Check([]cja.Component{other}, nil)) != fmt.Sprint(quality.Check([]cja.Component{base}, nil)) {
		t.Error("the checks read a field outside KeyFields: add it to KeyFields")
	}
}

func BenchmarkKey5000(b *testing.B) {
	comps := make([]cja.Component, 5000)
	for i := range comps {
		comps[i] = cja.Component{"id": fmt.Sprintf("variables/v%d", i), "name": fmt.Sprintf("V %d", i), "type": "string",
			"description": nil, "persistenceSetting": map[string]any{"enabled": true, "allocationModel": map[string]any{"func": "mostRecent"}}}
	}
	b.ReportAllocs()
	for b.Loop() {
		Key(comps, nil)
	}
}
