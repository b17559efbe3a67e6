package sdr

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzBaseName: no data view name or ID, however hostile, gives a file name
// that could leave the output folder or that a file system would refuse.
func FuzzBaseName(f *testing.F) {
	f.Add("Web / App: \"Checkout\" <Q4>", "dv_1")
	f.Add("../../etc/passwd", "dv_..")
	f.Add("\x00\u202e\U0001F600"+strings.Repeat("x", 300), "dv_"+strings.Repeat("a", 300))
	f.Fuzz(func(t *testing.T, name, id string) {
		b := BaseName(name, id)
		if b == "" || strings.ContainsAny(b, "/\\\x00") || strings.Contains(b, "..") || !utf8.ValidString(b) || len(b) > 240 {
			t.Fatalf("BaseName(%q, %q) = %q", name, id, b)
		}
	})
}
