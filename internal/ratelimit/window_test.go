package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestWindowNeverExceedsLimitInAnyWindow(t *testing.T) {
	now := time.Unix(0, 0)
	w := New(12, 6*time.Second).WithClock(func() time.Time { return now })
	var admitted []time.Time
	// Offer an event every 100 ms for a minute; admitted events must never
	// number more than 12 in any 6 s window.
	for i := 0; i < 600; i++ {
		if w.Allow() {
			admitted = append(admitted, now)
		}
		now = now.Add(100 * time.Millisecond)
	}
	for i := range admitted {
		n := 0
		for j := i; j < len(admitted) && admitted[j].Sub(admitted[i]) < 6*time.Second; j++ {
			n++
		}
		if n > 12 {
			t.Fatalf("%d events in the 6 s window starting at %v", n, admitted[i])
		}
	}
	// 60 s at 12 per 6 s is 120 events at most, and the limiter should use them.
	if len(admitted) < 110 || len(admitted) > 120 {
		t.Fatalf("admitted %d events in 60 s, want about 120", len(admitted))
	}
}

func TestRetryAfterAndUnlimited(t *testing.T) {
	now := time.Unix(0, 0)
	w := New(2, time.Second).WithClock(func() time.Time { return now })
	w.Allow()
	w.Allow()
	if w.Allow() {
		t.Fatal("third event in the window was admitted")
	}
	if got := w.RetryAfter(); got != time.Second {
		t.Fatalf("RetryAfter = %v, want 1s", got)
	}
	var nilW *Window
	if !nilW.Allow() || nilW.Wait(context.Background()) != nil {
		t.Fatal("nil limiter must allow everything")
	}
}

func TestWaitHonoursContext(t *testing.T) {
	w := New(1, time.Hour)
	if err := w.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Wait(ctx); err == nil {
		t.Fatal("Wait on a full window with a cancelled context returned nil")
	}
}

// A request that took long to answer holds its slot from the answer on, so
// the next request cannot leave while the server may still count the first.
func TestAcquireCountsFromTheAnswer(t *testing.T) {
	now := time.Unix(0, 0)
	w := New(1, 6*time.Second).WithClock(func() time.Time { return now })
	done, err := w.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Second) // the answer arrives 2 s later
	done()
	now = now.Add(5 * time.Second) // 7 s after the send, 5 s after the answer
	if w.Allow() {
		t.Fatal("admitted 5 s after the previous answer in a 6 s window")
	}
	if got := w.RetryAfter(); got != time.Second {
		t.Fatalf("RetryAfter = %v, want 1s", got)
	}
	now = now.Add(time.Second)
	if !w.Allow() {
		t.Fatal("not admitted 6 s after the previous answer")
	}
	done() // a second call changes nothing
}
