package dataviews

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// DefaultMaxListBytes bounds a dataviews.txt: about 30,000 IDs, far more than
// a run needs, small enough that a wrong file (a log, a binary) is refused
// at once instead of being read into memory.
const DefaultMaxListBytes = 1 << 20

// ErrListTooLarge is returned (wrapped) for a list over its size limit.
var ErrListTooLarge = errors.New("data view list too large")

// LineError is an invalid line of a data view list.
type LineError struct {
	Line   int    // 1-based
	Text   string // the line without comment and surrounding spaces
	Reason string
}

// Error formats the problem for the user: line number, text and reason.
func (e LineError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// ParseList reads a dataviews.txt: one ID per line; blank lines, "#"
// comments (whole-line or after an ID), surrounding whitespace, CRLF line
// ends, a UTF-8 byte order mark and repeated IDs are all fine. Comments are
// not read at all, so only bytes before a "#" must be UTF-8. It returns
// the IDs in first-seen order without duplicates, and the lines that are
// not a valid ID. maxBytes <= 0 means DefaultMaxListBytes; a longer input
// is an error, detected after reading maxBytes+1 bytes.
func ParseList(r io.Reader, maxBytes int64) (ids []string, bad []LineError, err error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxListBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read data view list: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, nil, fmt.Errorf("%w: over the %s limit; split it into smaller lists", ErrListTooLarge, size(maxBytes))
	}
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return nil, nil, errors.New("data view list is UTF-16 text: save it as UTF-8")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))

	seen := map[string]bool{}
	n := 0
	for line := range bytes.Lines(data) {
		n++
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		text := string(bytes.TrimSpace(line)) // also drops the \r of CRLF
		switch {
		case text == "":
		case !utf8.ValidString(text):
			bad = append(bad, LineError{n, text, quote(text) + " is not UTF-8 text (save the file as UTF-8)"})
		case !Valid(text):
			bad = append(bad, LineError{n, text, fmt.Sprintf("%s is not a data view ID (dv_ followed by letters, digits, _ or -; one ID per line)", quote(text))})
		case !seen[text]:
			seen[text] = true
			ids = append(ids, text)
		}
	}
	return ids, bad, nil
}

// quote shows a bad line in a message, cut short: a wrong file could have
// lines of any length.
func quote(s string) string {
	const max = 60
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

// size writes a byte count the way limits are usually stated.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d-byte", n)
}
