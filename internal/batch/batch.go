// Package batch runs one function per data view on a bounded worker pool and
// guarantees that every requested data view comes back with exactly one
// status, however the run ends.
package batch

import (
	"context"
	"sync"

	"github.com/cja-sdr/cja-sdr/internal/report"
)

// Func processes one data view. It must honour ctx and always return a Result.
type Func func(ctx context.Context, id string) report.Result

// Options control a batch.
type Options struct {
	Workers         int  // data views in flight at most; < 1 means 1
	ContinueOnError bool // false: the first failure cancels queued and in-flight work
	// OnDone, if set, is called once per finished data view (not for those
	// never started), from the worker goroutine, serialised.
	OnDone func(report.Result)
}

// Run processes ids and returns one Result per id, in the order given.
// Without ContinueOnError the first FAILED result cancels the rest: work in
// flight sees a cancelled context and ids not yet started come back
// NOT_STARTED. Cancelling ctx (Ctrl-C) does the same.
func Run(ctx context.Context, ids []string, opts Options, fn Func) []report.Result {
	workers := max(opts.Workers, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	results := make([]report.Result, len(ids)) // zero Status = never started
	var mu sync.Mutex                          // guards OnDone calls and cancel decisions

	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					continue // the run stopped while i was being handed over
				}
				r := fn(ctx, ids[i])
				if r.DataViewID == "" {
					r.DataViewID = ids[i]
				}
				if r.Status == "" {
					r.Status = report.Failed // a Func that forgot its status did not succeed
				}
				results[i] = r
				mu.Lock()
				if r.Status == report.Failed && !opts.ContinueOnError {
					cancel()
				}
				if opts.OnDone != nil {
					opts.OnDone(r)
				}
				mu.Unlock()
			}
		}()
	}

feed:
	for i := range ids {
		// Check first: select picks randomly among ready cases, and a stopped
		// run must not start anything new.
		if ctx.Err() != nil {
			break
		}
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()

	for i, id := range ids {
		if results[i].Status == "" {
			results[i] = report.Result{DataViewID: id, Status: report.Skipped}
		}
	}
	return results
}
