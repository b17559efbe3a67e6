package pipeline

import (
	"io"
	"log/slog"
	"time"
)

// logger returns l, or a logger that discards everything when l is nil, so
// handlers built in tests need no logger.
func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return l
}

// clock returns now, or time.Now when now is nil.
func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}
