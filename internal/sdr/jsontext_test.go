package sdr

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cja-sdr/cja-sdr/internal/cja"
)

// stdIndent is the reference: encoding/json with the settings jsonText
// promises to match.
func stdIndent(t *testing.T, v any) string {
	t.Helper()
	return stdIndentPrefix(t, v, "")
}

func stdIndentPrefix(t *testing.T, v any, prefix string) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func TestJSONTextMatchesEncodingJSON(t *testing.T) {
	values := []any{
		map[string]any{},
		[]any{},
		map[string]any(nil),
		[]any(nil),
		map[string]any{"b": 1.5, "a": []any{nil, true, false, "x"}, "c": map[string]any{"z": map[string]any{}, "y": []any{}}},
		[]any{1e21, 1e-7, 123456789.0, -0.000001, 0.0, -1.0, 1e20, 3.14159},
		[]any{"quote\" backslash\\ nl\n cr\r tab\t bell\a bs\b ff\f nul\x00 del\x7f", "<b>&amp;</b>", "\u2028\u2029", "bad\xffutf8", "emoji 🎉 rtl مرحبا"},
		map[string]any{"nested": []any{map[string]any{"k": []any{[]any{1.0}}}}},
		[]any{json.Number("12"), json.Number("-1.5e3"), 7, int64(-9)},
		map[string]any{"é": 1.0, "E": 2.0, "_": 3.0, "": 4.0},
		cja.Component{"id": "metrics/x", "tags": []any{"a"}},
		cja.DataView{"owner": map[string]any{"name": nil}},
	}
	var j jsonText
	for _, v := range values {
		want := stdIndent(t, v)
		if got := j.indented(v); got != want {
			t.Errorf("indented(%#v)\n got %q\nwant %q", v, got, want)
		}
		want = stdIndentPrefix(t, v, "    ")
		got, err := AppendJSON([]byte("keep:"), v, "    ")
		if err != nil || string(got) != "keep:"+want {
			t.Errorf("AppendJSON(%#v)\n got %q, %v\nwant %q", v, got, err, "keep:"+want)
		}
	}
}

func TestJSONTextFallsBack(t *testing.T) {
	type custom struct {
		A int `json:"a"`
	}
	var j jsonText
	// Types the fast path does not know go through encoding/json.
	for _, v := range []any{
		map[string]string{"b": "x", "a": "y"},
		[]any{custom{A: 1}},
	} {
		if got, want := j.indented(v), stdIndent(t, v); got != want {
			t.Errorf("fallback for %#v: got %q want %q", v, got, want)
		}
	}
	// Fallback keeps the prefix and dst.
	type pair struct{ A, B int }
	got, err := AppendJSON([]byte("x"), []any{pair{1, 2}}, "  ")
	if want := "x" + stdIndentPrefix(t, []any{pair{1, 2}}, "  "); err != nil || string(got) != want {
		t.Errorf("AppendJSON fallback %q, %v; want %q", got, err, want)
	}
	if _, err := AppendJSON(nil, []any{func() {}}, ""); err == nil {
		t.Error("AppendJSON of a func: no error")
	}
	// What encoding/json rejects is still shown in a cell, not lost.
	if got := j.indented(map[string]any{"n": json.Number("1 ")}); got == "" {
		t.Error("invalid json.Number gave an empty cell")
	}
}
