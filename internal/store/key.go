package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ErrBadKey is returned for a key that could escape the store's root or that
// two stores would read differently (see CheckKey).
var ErrBadKey = errors.New("invalid object key")

// CheckKey returns nil for a key every store accepts: non-empty, valid UTF-8,
// relative, slash-separated, with no empty, "." or ".." segment, no backslash
// and no NUL. Rejecting "." and empty segments too keeps one spelling per
// object, so a directory and a bucket never disagree about which file a key
// names.
func CheckKey(key string) error {
	reason := ""
	switch {
	case key == "":
		reason = "empty"
	case !utf8.ValidString(key):
		reason = "not valid UTF-8"
	case strings.ContainsRune(key, 0):
		reason = "contains NUL"
	case strings.ContainsRune(key, '\\'):
		reason = "contains a backslash"
	case strings.HasPrefix(key, "/"):
		reason = "absolute"
	default:
		for seg := range strings.SplitSeq(key, "/") {
			switch seg {
			case "":
				reason = "empty path segment"
			case ".", "..":
				reason = fmt.Sprintf("%q segment", seg)
			}
			if reason != "" {
				break
			}
		}
	}
	if reason != "" {
		return fmt.Errorf("%w %q: %s", ErrBadKey, key, reason)
	}
	return nil
}

// checkPrefix accepts "" (everything) or a key, optionally ending in "/".
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return CheckKey(strings.TrimSuffix(prefix, "/"))
}

// ctxWriter stops a long write as soon as its context ends, so Put can drop
// the partial object instead of finishing work nobody waits for.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// runWrite calls write and reports the context's error if it ended meanwhile,
// even when write itself returned nil (it may not have written at all).
func runWrite(ctx context.Context, w io.Writer, write func(io.Writer) error) error {
	if err := write(ctxWriter{ctx, w}); err != nil {
		return err
	}
	return ctx.Err()
}
