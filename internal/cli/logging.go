package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// LevelCritical is Python's CRITICAL, above slog's ERROR.
const LevelCritical = slog.Level(12)

var levelNames = map[string]slog.Level{
	"DEBUG": slog.LevelDebug, "INFO": slog.LevelInfo, "WARNING": slog.LevelWarn,
	"ERROR": slog.LevelError, "CRITICAL": LevelCritical,
}

func parseLevel(s string) (slog.Level, bool) {
	l, ok := levelNames[strings.ToUpper(strings.TrimSpace(s))]
	return l, ok
}

func levelName(l slog.Level) string {
	switch {
	case l >= LevelCritical:
		return "CRITICAL"
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	}
	return "DEBUG"
}

// lineHandler writes records in the reference tool's format,
// "2006-01-02 15:04:05,000 - LEVEL - message key=value", to several sinks,
// each with its own minimum level. It is also the last line of defence for
// secrets: any registered secret is replaced before a byte is written.
type lineHandler struct {
	mu      *sync.Mutex
	sinks   []sink
	redact  []string
	attrs   []slog.Attr
	onWrite func(func()) // wraps console writes (progress bar)
}

type sink struct {
	w       io.Writer
	min     slog.Level
	console bool
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool {
	for _, s := range h.sinks {
		if l >= s.min {
			return true
		}
	}
	return false
}

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Time.Format("2006-01-02 15:04:05,000"))
	b.WriteString(" - ")
	b.WriteString(levelName(r.Level))
	b.WriteString(" - ")
	b.WriteString(r.Message)
	write := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value.Resolve())
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	line := logText(b.String()) + "\n"
	for _, s := range h.redact {
		if s != "" {
			line = strings.ReplaceAll(line, s, "[REDACTED]")
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.sinks {
		if r.Level < s.min {
			continue
		}
		if s.console && h.onWrite != nil {
			h.onWrite(func() { io.WriteString(s.w, line) })
		} else {
			io.WriteString(s.w, line)
		}
	}
	return nil
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), as...)
	return &c
}

// WithGroup is not used by this command; groups are flattened.
func (h *lineHandler) WithGroup(string) slog.Handler { return h }

// oneLine makes text from outside (data view names, API messages) safe to
// print on one line of a terminal or summary: line breaks and tabs become
// spaces, and control characters and bidirectional overrides are dropped, so
// a name can neither forge a summary line nor send escape sequences.
func oneLine(s string) string {
	if strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unsafeRune(r):
			return -1
		}
		return r
	}, s)
}

// logText is oneLine for log records, except that line breaks are kept and
// the lines after the first indented, so multi-line messages (a config
// file's problems) stay readable and no line can pass for a record.
func logText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = oneLine(l)
	}
	return strings.Join(lines, "\n    ")
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == utf8.RuneError
}
