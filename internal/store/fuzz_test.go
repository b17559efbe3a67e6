package store

import (
	"path"
	"strings"
	"testing"
)

// FuzzCheckKey: a key CheckKey accepts always stays under the store's root.
func FuzzCheckKey(f *testing.F) {
	for _, k := range []string{"a/b.xlsx", "../x", "a/../../x", "/abs", "a\\b", "a//b", "./a", "a/\x00"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if CheckKey(key) != nil {
			return
		}
		clean := path.Clean("/root/" + key)
		if !strings.HasPrefix(clean, "/root/") || strings.Contains(key, "\\") || strings.ContainsRune(key, 0) {
			t.Fatalf("accepted %q, which resolves to %q", key, clean)
		}
	})
}
