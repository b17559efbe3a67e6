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
	slots  []slot // events still inside the window, at most Limit
	nextID uint64
	now    func() time.Time
}

// slot is one admitted event. Its time can move forward once (see Acquire).
type slot struct {
	id uint64
	at time.Time
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

// prune drops the events that have left the window and returns the time the
// oldest remaining one leaves it. Callers hold mu.
func (w *Window) prune(now time.Time) (oldestLeaves time.Time) {
	kept := w.slots[:0]
	for _, s := range w.slots {
		leaves := s.at.Add(w.Per)
		if leaves.After(now) {
			kept = append(kept, s)
			if oldestLeaves.IsZero() || leaves.Before(oldestLeaves) {
				oldestLeaves = leaves
			}
		}
	}
	w.slots = kept
	return oldestLeaves
}

// reserve admits an event now if it can (returning its id), else tells how
// long to wait.
func (w *Window) reserve() (uint64, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock()
	leaves := w.prune(now)
	if len(w.slots) < w.Limit {
		w.nextID++
		w.slots = append(w.slots, slot{id: w.nextID, at: now})
		return w.nextID, 0
	}
	return 0, leaves.Sub(now)
}

// Allow admits an event now if the window has room; it never waits. The
// simulator uses it to decide when to answer 429.
func (w *Window) Allow() bool {
	if w == nil || w.Limit <= 0 {
		return true
	}
	_, wait := w.reserve()
	return wait == 0
}

// RetryAfter is how long until Allow would succeed (0 if it would now).
func (w *Window) RetryAfter() time.Duration {
	if w == nil || w.Limit <= 0 {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock()
	leaves := w.prune(now)
	if len(w.slots) < w.Limit {
		return 0
	}
	return leaves.Sub(now)
}

// Wait blocks until an event is admitted or ctx ends.
func (w *Window) Wait(ctx context.Context) error {
	_, err := w.Acquire(ctx)
	return err
}

// Acquire blocks until an event is admitted or ctx ends, like Wait, and
// returns done, to be called when the request has been answered. done moves
// the event's time to that moment: the server counted the request somewhere
// between sending and answer, so counting it from the answer means our window
// is never behind the server's, whatever the network delay. (Counting from
// the send alone lets a request leave the instant an earlier one turns Per
// old here, while the server, which saw that earlier one later, still counts
// it: a 429.) Calling done more than once, or never, is harmless.
func (w *Window) Acquire(ctx context.Context) (done func(), err error) {
	if w == nil || w.Limit <= 0 {
		return func() {}, ctx.Err()
	}
	for {
		id, d := w.reserve()
		if d == 0 {
			return func() { w.answered(id) }, nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return func() {}, ctx.Err()
		case <-t.C:
		}
	}
}

func (w *Window) answered(id uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.slots {
		if w.slots[i].id == id {
			if now := w.clock(); now.After(w.slots[i].at) {
				w.slots[i].at = now
			}
			return
		}
	}
}
