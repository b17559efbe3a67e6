package sampleorg

import (
	"encoding/binary"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Fault is a misbehaviour injected in place of (or before) normal handling.
// The fields apply in this order: Delay, then Hang, Reset, or Status; a Fault
// with only a Delay slows the request down and then handles it normally.
type Fault struct {
	// Status, if non-zero, is sent instead of the normal answer.
	Status int
	// Body is sent with Status. Empty means a realistic default body for the
	// status (the gateway's 429 body, a 503 "backend timeout", ...).
	Body string
	// Header is added to the response (e.g. Retry-After, Content-Type).
	Header http.Header
	// Delay is waited first; the request's context can cut it short.
	Delay time.Duration
	// Reset drops the connection without an answer: over HTTP the
	// connection is hijacked and closed with a TCP reset, and the in-memory
	// transport returns an error wrapping syscall.ECONNRESET.
	Reset bool
	// Hang blocks until the request's context ends (a time-out test).
	Hang bool
}

// FaultFunc decides whether request r misbehaves. seq numbers the server's
// requests from 1 in order of arrival. A nil result means normal handling.
// It is called from many goroutines at once.
type FaultFunc func(r *http.Request, seq int64) *Fault

// Ready-made faults for the failures a client must survive or report.
var (
	// FaultThrottled is a gateway 429 without Retry-After.
	FaultThrottled = Fault{Status: http.StatusTooManyRequests}
	// FaultUnavailable is a 503 with the gateway's "backend timeout" body.
	FaultUnavailable = Fault{Status: http.StatusServiceUnavailable}
	// FaultReset drops the connection.
	FaultReset = Fault{Reset: true}
	// FaultHang never answers; only the client's time-out ends it.
	FaultHang = Fault{Hang: true}
	// FaultNotJSON is a 200 whose body is an HTML error page, which a client
	// must report as a bad response, never as an empty list.
	FaultNotJSON = Fault{Status: http.StatusOK, Body: "<html><body>Gateway error</body></html>",
		Header: http.Header{"Content-Type": {"text/html"}}}
	// FaultErrorIn200 is a 200 whose body is an error object.
	FaultErrorIn200 = Fault{Status: http.StatusOK,
		Body: `{"errorCode":"unexpected_error","errorDescription":"An unexpected error occurred","errorId":"7f1c2d3e-0000-4000-8000-000000000200"}`}
)

// Always returns f for every request.
func Always(f Fault) FaultFunc {
	return func(*http.Request, int64) *Fault { return &f }
}

// FailFirst returns f for the first n requests it is consulted on, then
// nothing. Its count is its own, so OnPath("/metrics", FailFirst(2, f))
// fails the first two metrics requests whatever came before.
func FailFirst(n int, f Fault) FaultFunc {
	var calls atomic.Int64
	return func(*http.Request, int64) *Fault {
		if calls.Add(1) <= int64(n) {
			return &f
		}
		return nil
	}
}

// Every returns f for every k-th request it is consulted on (the k-th, 2k-th,
// ...). k <= 0 never fails.
func Every(k int, f Fault) FaultFunc {
	var calls atomic.Int64
	return func(*http.Request, int64) *Fault {
		if k > 0 && calls.Add(1)%int64(k) == 0 {
			return &f
		}
		return nil
	}
}

// OnPath consults ff only for requests whose URL path contains substr (a
// data view id, "/metrics", "/ims/token"); other requests are never counted
// by ff.
func OnPath(substr string, ff FaultFunc) FaultFunc {
	return func(r *http.Request, seq int64) *Fault {
		if strings.Contains(r.URL.Path, substr) {
			return ff(r, seq)
		}
		return nil
	}
}

// OnSeq returns f for the requests with the given sequence numbers.
func OnSeq(f Fault, seqs ...int64) FaultFunc {
	set := map[int64]bool{}
	for _, n := range seqs {
		set[n] = true
	}
	return func(_ *http.Request, seq int64) *Fault {
		if set[seq] {
			return &f
		}
		return nil
	}
}

// Random returns f for about a fraction p of requests, chosen by hashing
// the sequence number with seed: a given seq always gets the same answer,
// so a chaos run is repeatable as far as request order is.
func Random(p float64, seed uint64, f Fault) FaultFunc {
	return func(_ *http.Request, seq int64) *Fault {
		h := fnv.New64a()
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:8], seed)
		binary.LittleEndian.PutUint64(b[8:], uint64(seq))
		h.Write(b[:])
		if float64(h.Sum64()>>11)/(1<<53) < p {
			return &f
		}
		return nil
	}
}

// Chain consults each FaultFunc in turn and returns the first fault. Every
// func before the answering one is consulted (and counts the request).
func Chain(ffs ...FaultFunc) FaultFunc {
	return func(r *http.Request, seq int64) *Fault {
		for _, ff := range ffs {
			if f := ff(r, seq); f != nil {
				return f
			}
		}
		return nil
	}
}

// defaultFaultBody is the body the live services send with status, so an
// injected fault looks like the real thing unless the test says otherwise.
func defaultFaultBody(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return gatewayThrottled
	case status == http.StatusUnauthorized:
		return gatewayBadToken
	case status == http.StatusBadGateway, status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
		return `{"statusCode":` + strconv.Itoa(status) + `,"message":"backend timeout"}`
	case status == http.StatusRequestTimeout:
		return `{"errorCode":"request_timeout","errorDescription":"The request timed out"}`
	case status >= 500:
		return `{"errorCode":"unexpected_error","errorDescription":"An unexpected error occurred"}`
	case status == http.StatusOK:
		return `{}`
	default:
		return `{"errorCode":"unexpected_error","errorDescription":"Injected fault"}`
	}
}
