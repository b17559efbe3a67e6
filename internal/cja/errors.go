package cja

import (
	"errors"
	"fmt"
)

// Kind classifies an API failure so callers can decide what to do with it.
type Kind int

// The kinds of failure the client reports.
const (
	KindUnknown      Kind = iota
	KindNotFound          // 404: the data view does not exist or is not visible
	KindForbidden         // 403: the credentials lack access
	KindUnauthorized      // 401 (after one token refresh) or IMS rejected the credentials
	KindThrottled         // 429 after all retries
	KindServer            // 5xx / 408 after all retries
	KindBadResponse       // 200 with an error body, or a body that is not JSON
	KindNetwork           // connection refused/reset, time-out, after all retries
)

// Sentinel errors, one per kind, for errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("unauthorized")
	ErrThrottled    = errors.New("throttled")
	ErrServer       = errors.New("server error")
	ErrBadResponse  = errors.New("bad response")
	ErrNetwork      = errors.New("network error")
)

var sentinels = map[Kind]error{
	KindNotFound: ErrNotFound, KindForbidden: ErrForbidden, KindUnauthorized: ErrUnauthorized,
	KindThrottled: ErrThrottled, KindServer: ErrServer, KindBadResponse: ErrBadResponse,
	KindNetwork: ErrNetwork,
}

// Error is a failed API call. Its message never contains a secret or token.
type Error struct {
	Kind   Kind
	Status int    // HTTP status, 0 for network errors
	Code   string // errorCode / error_code / error from the body, if any
	// Message is the API's own message (or a description of the failure).
	Message string
	// Op says what was being done, e.g. "get metrics of dv_123".
	Op string
	// Hint tells the user what to do next.
	Hint string
	Err  error // underlying cause, if any
}

func (e *Error) Error() string {
	msg := e.Op + ": " + e.Message
	if e.Status != 0 {
		msg = fmt.Sprintf("%s: HTTP %d: %s", e.Op, e.Status, e.Message)
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// Is lets errors.Is match the sentinel of the error's kind.
func (e *Error) Is(target error) bool { return sentinels[e.Kind] == target }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether err is worth retrying later (throttling, server
// errors, network errors). The generator Lambda uses it to pick its error type.
func Retryable(err error) bool {
	return errors.Is(err, ErrThrottled) || errors.Is(err, ErrServer) || errors.Is(err, ErrNetwork)
}
