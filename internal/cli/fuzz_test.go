package cli

import (
	"strings"
	"testing"
)

// FuzzParseArgs: no command line makes the parser panic, and what it
// accepts keeps the IDs it was given.
func FuzzParseArgs(f *testing.F) {
	f.Add("--workers\x008\x00dv_1\x00--format=all")
	f.Add("--w=\x00--\x00-q\x00--log-level")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		o, err := parseArgs(args, func(string) string { return "" })
		if err != nil {
			return
		}
		for _, id := range o.ids {
			if !strings.Contains(joined, id) {
				t.Fatalf("ID %q came from nowhere", id)
			}
		}
	})
}
