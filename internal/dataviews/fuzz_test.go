package dataviews

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseList: whatever is uploaded, parsing never panics, every ID it
// returns is valid and unique, and every bad line points into the input.
func FuzzParseList(f *testing.F) {
	for _, seed := range []string{
		"dv_1\n# c\n\n  dv_2  # trailing\r\nbad\n",
		"\xef\xbb\xbfdv_a\r\ndv_a\n",
		"dv_\xff\xfe\n",
		"\x00\x01dv_x",
		strings.Repeat("dv_y\n", 50),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ids, bad, err := ParseList(bytes.NewReader(data), 1<<16)
		if err != nil {
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		seen := map[string]bool{}
		for _, id := range ids {
			if !Valid(id) || seen[id] {
				t.Fatalf("returned %q (valid %v, duplicate %v)", id, Valid(id), seen[id])
			}
			seen[id] = true
		}
		for _, b := range bad {
			if b.Line < 1 || b.Line > lines || b.Reason == "" {
				t.Fatalf("bad line %+v outside 1..%d or without a reason", b, lines)
			}
		}
	})
}

// FuzzNormalize: every input ID ends up either unique-and-valid or listed as
// invalid, and the invalid-ID message stays on its three lines.
func FuzzNormalize(f *testing.F) {
	f.Add("dv_1", " dv_1 ", "x\x1b[2Jy")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		unique, invalid := Normalize([]string{a, b, c})
		for _, id := range unique {
			if !Valid(id) {
				t.Fatalf("invalid %q kept", id)
			}
		}
		if len(invalid) > 0 {
			if msg := InvalidIDMessage(invalid); strings.Count(msg, "\n") != 2 || strings.ContainsRune(msg, '\x1b') {
				t.Fatalf("message %q", msg)
			}
		}
	})
}
