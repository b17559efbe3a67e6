// Package dataviews checks and collects data view IDs: from the command
// line and from dataviews.txt files (one ID per line, # comments).
package dataviews

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Valid reports whether id looks like a data view ID: "dv_" followed by one
// or more ASCII letters, digits, '_' or '-'. Real IDs are dv_ plus 24 hex
// digits, but Adobe's docs and tools show other forms, so only the shape
// that can be put in a URL path safely is enforced.
func Valid(id string) bool {
	rest, ok := strings.CutPrefix(id, "dv_")
	if !ok || rest == "" {
		return false
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Normalize trims whitespace around each ID and drops empty strings and
// exact duplicates, keeping first-seen order. IDs that are not Valid go to
// invalid (also deduplicated), the rest to unique.
func Normalize(ids []string) (unique []string, invalid []string) {
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		if Valid(id) {
			unique = append(unique, id)
		} else {
			invalid = append(invalid, id)
		}
	}
	return unique, invalid
}

// InvalidIDMessage is the reference tool's message for invalid IDs, three
// lines without a final newline:
//
//	ERROR: Invalid data view ID format: invalid_id, test123
//	       Data view IDs should start with 'dv_'
//	       Example: dv_677ea9291244fd082f02dd42
//
// IDs holding control or other invisible characters are shown quoted and
// escaped, so that no escape sequence reaches the user's terminal.
func InvalidIDMessage(invalid []string) string {
	shown := make([]string, len(invalid))
	for i, id := range invalid {
		shown[i] = id
		if strings.IndexFunc(id, func(r rune) bool { return !unicode.IsGraphic(r) || r == utf8.RuneError }) >= 0 {
			shown[i] = strconv.QuoteToGraphic(id)
		}
	}
	return "ERROR: Invalid data view ID format: " + strings.Join(shown, ", ") + "\n" +
		"       Data view IDs should start with 'dv_'\n" +
		"       Example: dv_677ea9291244fd082f02dd42"
}
