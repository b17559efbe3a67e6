// Package ratelimit holds a sliding-window limiter: at most N events in any
// window of length W. CJA states its limit that way (12 requests per 6 s per
// user), and a token bucket with the same average rate can still burst past it,
// so the client and the simulator share this exact definition.
package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Window allows at most Limit events in any period of length Per.
// The zero value and a nil *Window allow everything.
type Window struct {
	Limit int
	Per   time.Duration

	mu     sync.Mutex
	events []time.Time // times of the last Limit admitted events, oldest first
	now    func() time.Time
}

// New returns a limiter of limit events per period. limit <= 0 means unlimited.
func New(limit int, per time.Duration) *Window {
	return &Window{Limit: limit, Per: per}
}

// WithClock makes the limiter read time from now (tests, simulators).
func (w *Window) WithClock(now func() time.Time) *Window {
	w.now = now
	return w
}

func (w *Window) clock() time.Time {
	if w.now != nil {
		return w.now()
	}
	return time.Now()
}

// reserve admits an event now if it can, else tells how long to wait.
func (w *Window) reserve() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock()
	if len(w.events) < w.Limit {
		w.events = append(w.events, now)
		return 0
	}
	oldest := w.events[0]
	if wait := oldest.Add(w.Per).Sub(now); wait > 0 {
		return wait
	}
	copy(w.events, w.events[1:])
	w.events[len(w.events)-1] = now
	return 0
}

// Allow admits an event now if the window has room; it never waits. The
// simulator uses it to decide when to answer 429.
func (w *Window) Allow() bool {
	if w == nil || w.Limit <= 0 {
		return true
	}
	return w.reserve() == 0
}

// RetryAfter is how long until Allow would succeed (0 if it would now).
func (w *Window) RetryAfter() time.Duration {
	if w == nil || w.Limit <= 0 {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.events) < w.Limit {
		return 0
	}
	if d := w.events[0].Add(w.Per).Sub(w.clock()); d > 0 {
		return d
	}
	return 0
}

// Wait blocks until an event is admitted or ctx ends.
func (w *Window) Wait(ctx context.Context) error {
	if w == nil || w.Limit <= 0 {
		return ctx.Err()
	}
	for {
		d := w.reserve()
		if d == 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
