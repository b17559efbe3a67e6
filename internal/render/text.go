package render

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/cja-sdr/cja-sdr/internal/quality"
)

// severityIcons prefix the Severity cell in the human-facing formats (Excel,
// HTML, Markdown) so the severity reads at a glance even without colour. CSV
// and JSON keep the bare severity for machines.
var severityIcons = map[string]string{
	string(quality.Critical): "🔴",
	string(quality.High):     "🟠",
	string(quality.Medium):   "🟡",
	string(quality.Low):      "🔵",
	string(quality.Info):     "ℹ️",
}

// withIcon returns "🔴 CRITICAL" for a known severity, else sev unchanged.
func withIcon(sev string) string {
	if icon, ok := severityIcons[sev]; ok {
		return icon + " " + sev
	}
	return sev
}

// cleanText removes what XML 1.0 cannot carry (and what a spreadsheet or
// browser would choke on): control characters other than tab, newline and
// carriage return, U+FFFE, U+FFFF, and invalid UTF-8, which includes
// unpaired surrogates encoded as UTF-8. Clean strings are returned as is,
// without allocating.
func cleanText(s string) string {
	if textIsClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if xmlChar(r, size) {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func textIsClean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf { // fast path: ASCII
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !xmlChar(r, size) {
			return false
		}
		i += size
	}
	return true
}

// xmlChar reports whether the decoded rune (r, size) is allowed in XML 1.0.
func xmlChar(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		return false // invalid UTF-8 (surrogate halves decode to this too)
	case r < 0x20:
		return r == '\t' || r == '\n' || r == '\r'
	case r == 0xFFFE || r == 0xFFFF:
		return false
	}
	return true
}

// maxCellUnits is Excel's limit on one cell: 32,767 characters, counted in
// UTF-16 code units (an emoji counts twice). excelize cuts silently at this
// limit; we cut first and say so.
const maxCellUnits = 32767

// truncateCell cuts s to fit an Excel cell, ending it with a visible
// "…[truncated N chars]" marker, N counted in characters (runes). Strings
// within the limit are returned as is.
func truncateCell(s string) string {
	if len(s) <= maxCellUnits { // bytes >= UTF-16 units, so this fits
		return s
	}
	units, runes := 0, 0
	for _, r := range s {
		units += utf16.RuneLen(r)
		runes++
	}
	if units <= maxCellUnits {
		return s
	}
	// The marker's digits depend on how much is cut; sizing it for the total
	// rune count, and in bytes ('…' is 3 bytes but 1 unit), over-estimates,
	// so the result always fits.
	budget := maxCellUnits - len(marker(runes))
	used, kept, cut := 0, 0, 0
	for i, r := range s {
		n := utf16.RuneLen(r)
		if used+n > budget {
			cut = i
			break
		}
		used += n
		kept++
	}
	return s[:cut] + marker(runes-kept)
}

func marker(n int) string { return "…[truncated " + strconv.Itoa(n) + " chars]" }

// formatCell renders a sheet cell as text for CSV, HTML and Markdown.
// Numbers use the shortest form that round-trips, without exponent for
// everyday magnitudes.
func formatCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if a := math.Abs(x); a != 0 && (a < 1e-6 || a >= 1e21) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return "" // Sheet cells hold no other types
}
