package batch

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cja-sdr/cja-sdr/internal/report"
)

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("dv_%03d", i)
	}
	return out
}

func TestNeverMoreThanWorkersInFlight(t *testing.T) {
	for _, workers := range []int{1, 3, 8} {
		var inFlight, peak atomic.Int64
		gate := make(chan struct{})
		var once sync.Once
		list := ids(40)
		fn := func(ctx context.Context, id string) report.Result {
			n := inFlight.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			if n == int64(workers) {
				once.Do(func() { close(gate) })
			}
			<-gate // hold every worker until the pool is full once
			inFlight.Add(-1)
			return report.Result{DataViewID: id, Status: report.Success}
		}
		res := Run(context.Background(), list, Options{Workers: workers}, fn)
		if got := peak.Load(); got != int64(workers) {
			t.Errorf("workers=%d: peak in flight %d", workers, got)
		}
		for i, r := range res {
			if r.DataViewID != list[i] || r.Status != report.Success {
				t.Fatalf("result %d = %+v", i, r)
			}
		}
	}
}

func TestFirstFailureStopsTheRest(t *testing.T) {
	list := ids(20)
	release := make(chan struct{})
	fn := func(ctx context.Context, id string) report.Result {
		if id == "dv_001" {
			<-release // fail only once dv_000 is surely in flight
			return report.Result{DataViewID: id, Status: report.Failed, Error: "boom"}
		}
		if id == "dv_000" {
			close(release)
			<-ctx.Done()
			return report.Result{DataViewID: id, Status: report.Cancelled, Error: "cancelled"}
		}
		return report.Result{DataViewID: id, Status: report.Success}
	}
	res := Run(context.Background(), list, Options{Workers: 2}, fn)
	count := map[report.Status]int{}
	for i, r := range res {
		if r.DataViewID != list[i] {
			t.Fatalf("result %d is for %s", i, r.DataViewID)
		}
		count[r.Status]++
	}
	if res[0].Status != report.Cancelled || res[1].Status != report.Failed {
		t.Fatalf("first two = %s, %s", res[0].Status, res[1].Status)
	}
	if count[report.Skipped] != 18 || len(res) != 20 {
		t.Fatalf("statuses %v, want 18 not started", count)
	}
}

func TestContinueOnErrorRunsEverything(t *testing.T) {
	list := ids(30)
	var calls atomic.Int64
	var done []string
	fn := func(ctx context.Context, id string) report.Result {
		calls.Add(1)
		if id == "dv_004" || id == "dv_017" {
			return report.Result{DataViewID: id, Status: report.Failed}
		}
		return report.Result{DataViewID: id, Status: report.Success}
	}
	res := Run(context.Background(), list, Options{Workers: 4, ContinueOnError: true,
		OnDone: func(r report.Result) { done = append(done, r.DataViewID) }}, fn)
	if calls.Load() != 30 || len(done) != 30 {
		t.Fatalf("calls %d, OnDone %d, want 30", calls.Load(), len(done))
	}
	s := report.Summarize(res, 0)
	if s.Failed != 2 || s.Successful != 28 {
		t.Fatalf("summary %+v", s)
	}
}

func TestCancelledContextStartsNothingMore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	list := ids(10)
	fn := func(c context.Context, id string) report.Result {
		if id == "dv_002" {
			cancel() // Ctrl-C arrives while dv_002 runs
			<-c.Done()
			return report.Result{Status: report.Cancelled}
		}
		return report.Result{Status: report.Success}
	}
	res := Run(ctx, list, Options{Workers: 1, ContinueOnError: true}, fn)
	want := []report.Status{report.Success, report.Success, report.Cancelled}
	for i, r := range res {
		exp := report.Skipped
		if i < len(want) {
			exp = want[i]
		}
		if r.Status != exp || r.DataViewID != list[i] {
			t.Fatalf("result %d = %s %s, want %s", i, r.DataViewID, r.Status, exp)
		}
	}
}

func TestEmptyInput(t *testing.T) {
	if res := Run(context.Background(), nil, Options{Workers: 4}, nil); len(res) != 0 {
		t.Fatalf("got %d results", len(res))
	}
}
