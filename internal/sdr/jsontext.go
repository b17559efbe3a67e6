package sdr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/cja-sdr/cja-sdr/internal/cja"
)

// jsonText renders nested API values as indented JSON (2 spaces, keys
// sorted). The values come from encoding/json, so the common types
// (map[string]any, []any, string, float64, bool, nil, json.Number) are
// written directly: a reflect-based encoder plus an indent pass was most of
// the cost of building the sheets and the JSON file of a large data view.
// Anything else goes through encoding/json; the bytes are the same.
type jsonText struct {
	buf    []byte
	prefix string     // starts every line after the first
	keys   [][]string // one reusable key slice per nesting depth
}

// AppendJSON appends v as indented JSON to dst: the bytes encoding/json's
// Encoder writes with SetIndent(prefix, "  ") and SetEscapeHTML(false),
// without the final newline. Maps come out with sorted keys.
func AppendJSON(dst []byte, v any, prefix string) ([]byte, error) {
	j := jsonText{prefix: prefix}
	return j.append(dst, v)
}

func (j *jsonText) append(dst []byte, v any) ([]byte, error) {
	if b, ok := j.appendValue(dst, v, 0); ok {
		return b, nil
	}
	var std bytes.Buffer
	enc := json.NewEncoder(&std)
	enc.SetEscapeHTML(false) // every renderer escapes for its own format
	enc.SetIndent(j.prefix, "  ")
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return append(dst, bytes.TrimSuffix(std.Bytes(), []byte("\n"))...), nil
}

// indented returns v as indented JSON text for a sheet cell.
func (j *jsonText) indented(v any) string {
	b, err := j.append(j.buf[:0], v)
	if err != nil {
		return fmt.Sprint(v) // shown rather than lost
	}
	j.buf = b
	return string(b)
}

// appendValue appends v; ok is false for a type it does not handle (the
// bytes appended so far are then garbage past the caller's len(b)).
func (j *jsonText) appendValue(b []byte, v any, depth int) (_ []byte, ok bool) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return appendString(b, x), true
	case bool:
		return strconv.AppendBool(b, x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return b, false
		}
		return appendFloat(b, x), true
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case json.Number:
		if !validNumber(x) {
			return b, false
		}
		return append(b, x...), true
	case []any:
		if x == nil {
			return append(b, "null"...), true
		}
		if len(x) == 0 {
			return append(b, "[]"...), true
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = j.newline(b, depth+1)
			if b, ok = j.appendValue(b, e, depth+1); !ok {
				return b, false
			}
		}
		return append(j.newline(b, depth), ']'), true
	case cja.Component: // named map types do not match map[string]any
		return j.appendValue(b, map[string]any(x), depth)
	case cja.DataView:
		return j.appendValue(b, map[string]any(x), depth)
	case map[string]any:
		if x == nil {
			return append(b, "null"...), true
		}
		if len(x) == 0 {
			return append(b, "{}"...), true
		}
		for len(j.keys) <= depth {
			j.keys = append(j.keys, nil)
		}
		keys := j.keys[depth][:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		j.keys[depth] = keys
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = j.newline(b, depth+1)
			b = append(appendString(b, k), ": "...)
			// Deeper levels reuse j.keys[depth+1:], never this level's slice.
			if b, ok = j.appendValue(b, x[k], depth+1); !ok {
				return b, false
			}
		}
		return append(j.newline(b, depth), '}'), true
	}
	return b, false
}

func (j *jsonText) newline(b []byte, depth int) []byte {
	b = append(append(b, '\n'), j.prefix...)
	for range depth {
		b = append(b, "  "...)
	}
	return b
}

// appendFloat formats like encoding/json: plain decimals, exponent form only
// for very small or very large magnitudes, and "e-7" rather than "e-07".
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString quotes s like encoding/json with HTML escaping off: control
// characters, quotes, backslashes, U+2028/U+2029 escaped; invalid UTF-8
// replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(append(b, s[start:i]...), `\ufffd`...)
				i += size
				start = i
				continue
			}
			if r == '\u2028' || r == '\u2029' {
				b = append(append(b, s[start:i]...), `\u202`...)
				b = append(b, hex[r&0xF])
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		i++
		start = i
	}
	return append(append(b, s[start:]...), '"')
}

// validNumber reports whether n is one JSON number (json.Valid alone would
// also accept other values and surrounding white space).
func validNumber(n json.Number) bool {
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	return n != "" && (n[0] == '-' || isDigit(n[0])) && isDigit(n[len(n)-1]) && json.Valid([]byte(n))
}
