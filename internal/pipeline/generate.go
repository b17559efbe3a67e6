package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/cache"
	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/generate"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

// GenerateInput is one Map iteration: which run, which data view of its
// manifest. With Failure set, the generator only records that the iteration
// failed (the state machine's Catch calls it that way).
type GenerateInput struct {
	RunID string `json:"runId"`
	Index *int   `json:"index"`
	// ContinueOnError is in the iteration's input for the state machine's
	// Choice states; the generator does not need it.
	ContinueOnError bool         `json:"continueOnError,omitempty"`
	Failure         *TaskFailure `json:"failure,omitempty"`
}

// TaskFailure is the error object a Catch puts in the state: the error name
// and its cause (for a Lambda error, JSON with errorMessage and errorType).
type TaskFailure struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// GenerateOutput is deliberately tiny: the Map keeps every iteration's output.
type GenerateOutput struct {
	Status     report.Status `json:"status"`
	DataViewID string        `json:"dataViewId"`
}

// DefaultDeadlineMargin is how long before the Lambda deadline the generator
// stops working on a data view, leaving time to answer.
const DefaultDeadlineMargin = 5 * time.Second

// inFlightReason marks the record written when a data view starts. If the
// run is stopped before the generator finishes, it is what the summary shows.
const inFlightReason = "in flight when the run stopped: run it again if its SDR is missing"

// Generator generates one data view per invocation with the same engine as
// the command, and writes the data view's result record.
type Generator struct {
	// Store is rooted at the pipeline bucket.
	Store store.Store
	// Fetcher returns the API client for a run of that many workers, which
	// share the credential's rate limit. It is called once per invocation
	// and should cache the client (and so the IMS token) per container.
	Fetcher func(ctx context.Context, workers int) (cja.Fetcher, error)
	// Cache keeps validation results between runs; nil disables it. Its
	// failures never fail a data view.
	Cache cache.Cache
	// Stops, when set, lets a failed data view stop the rest of a run that
	// does not continue on error (nil: only the state machine stops it).
	Stops RunStops
	// OutputPrefix is the deployment's OUTPUT_PREFIX ("sdr/").
	OutputPrefix string
	ToolVersion  string
	// DeadlineMargin defaults to DefaultDeadlineMargin.
	DeadlineMargin time.Duration
	Now            func() time.Time
	Log            *slog.Logger

	manifests manifestCache
}

// Handle generates (or records the failure of) one data view.
//
// A data view that cannot be documented for good (not found, forbidden,
// empty) is not an error: its record says FAILED and the output's status
// tells the state machine. Throttling, 5xx and network failures, and S3
// failing to store the SDR or the record, return a TransientError and
// running out of time a DeadlineError, both retried by the state machine;
// the record then stays "in flight" until a retry or the failure recorder
// replaces it.
func (g *Generator) Handle(ctx context.Context, in GenerateInput) (GenerateOutput, error) {
	if !validRunID(in.RunID) || in.Index == nil {
		return GenerateOutput{}, &InputError{Msg: fmt.Sprintf(`generator: want {"runId": "<run id>", "index": <n>}, got runId %q`, in.RunID)}
	}
	m, err := g.manifests.get(ctx, g.Store, in.RunID)
	if err != nil {
		return GenerateOutput{}, storeError(fmt.Errorf("generator: %w", err))
	}
	if *in.Index < 0 || *in.Index >= len(m.DataViewIDs) {
		return GenerateOutput{}, &InputError{Msg: fmt.Sprintf("generator: index %d is outside run %s's %d data views", *in.Index, in.RunID, len(m.DataViewIDs))}
	}
	id := m.DataViewIDs[*in.Index]
	log := logger(g.Log).With("runId", in.RunID, "dataViewId", id)

	if in.Failure != nil {
		return g.recordFailure(ctx, m, id, *in.Failure, log)
	}
	if g.stopped(ctx, m, log) {
		// No record: the summary reports the data view as not started.
		log.Info("run already stopped at a failure; skipping")
		return GenerateOutput{Status: report.Skipped, DataViewID: id}, nil
	}
	now := clock(g.Now)
	if err := g.writeRecord(ctx, m, report.Result{DataViewID: id, Status: report.Cancelled, Error: inFlightReason, Started: now()}); err != nil {
		return GenerateOutput{}, err
	}

	// Stop before the Lambda deadline so that the answer is ours (a
	// retryable DeadlineError), not a killed sandbox.
	work := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		work, cancel = context.WithDeadline(ctx, dl.Add(-g.margin()))
		defer cancel()
	}

	fetcher, err := g.Fetcher(work, m.Workers)
	if err != nil {
		return GenerateOutput{}, err
	}
	// Tolerant per invocation: a cache outage costs time, never a data view,
	// and is logged once per invocation.
	var validations cache.Cache
	if g.Cache != nil {
		validations = cache.Tolerant(g.Cache, func(err error) {
			log.Warn("validation cache unavailable; checking without it", "error", err.Error())
		})
	}
	sdrStore := &watchedStore{Store: g.Store}
	gen := &generate.Generator{
		Fetcher: fetcher,
		Store:   sdrStore,
		Cache:   validations,
		Options: generate.Options{
			Formats:        m.Formats,
			SkipValidation: m.SkipValidation,
			MaxIssues:      m.MaxIssues,
			Prefix:         SDRPrefix(g.OutputPrefix, m.Started, m.RunID),
			ToolVersion:    g.ToolVersion,
		},
		Now: g.Now,
		Log: log,
	}
	res := gen.Generate(work, id)

	switch {
	case res.Status != report.Success && work.Err() != nil:
		log.Warn("stopped before the Lambda deadline", "elapsed", res.Duration.String())
		return GenerateOutput{}, &DeadlineError{Msg: fmt.Sprintf("generator: stopped %s before the Lambda deadline while generating %s%s", g.margin(), id, deadlineRetried)}
	case res.Status == report.Failed && (res.Retryable || sdrStore.failed()):
		// Throttling, 5xx, network, or S3 refusing the SDR (SlowDown, 500):
		// the state machine retries; render.Write removed what it had stored.
		log.Warn("retryable failure", "error", res.Error)
		return GenerateOutput{}, &TransientError{Msg: fmt.Sprintf("generator: %s: %s", id, res.Error)}
	}
	if err := g.writeRecord(ctx, m, res); err != nil {
		return GenerateOutput{}, err
	}
	if res.Status == report.Failed {
		g.stop(ctx, m, log)
	}
	log.Info("data view done", "status", string(res.Status), "metrics", res.Metrics, "dimensions", res.Dimensions,
		"issues", res.Issues, "cacheHit", res.CacheHit, "requests", res.Requests, "duration", res.Duration.String())
	return GenerateOutput{Status: res.Status, DataViewID: id}, nil
}

// watchedStore notes a Put that failed in the store itself (the upload) as
// opposed to in the renderer writing the object (a too-wide sheet, say),
// which no retry would fix.
type watchedStore struct {
	store.Store
	putFailed atomic.Bool
}

func (s *watchedStore) Put(ctx context.Context, key string, write func(io.Writer) error) (store.Object, error) {
	var wrote bool
	var writeErr error
	obj, err := s.Store.Put(ctx, key, func(w io.Writer) error {
		wrote = true
		writeErr = write(w)
		return writeErr
	})
	if err != nil && wrote && writeErr == nil && ctx.Err() == nil {
		s.putFailed.Store(true)
	}
	return obj, err
}

func (s *watchedStore) failed() bool { return s.putFailed.Load() }

func (g *Generator) margin() time.Duration {
	if g.DeadlineMargin > 0 {
		return g.DeadlineMargin
	}
	return DefaultDeadlineMargin
}

// recordFailure writes a FAILED record for an iteration that ended in an
// error the generator could not record itself (retries exhausted, time-out,
// Lambda failures). It needs no API access.
func (g *Generator) recordFailure(ctx context.Context, m *Manifest, id string, f TaskFailure, log *slog.Logger) (GenerateOutput, error) {
	msg := FailureMessage(f)
	if !strings.Contains(msg, id) {
		msg = "generator: " + id + ": " + msg
	}
	res := report.Result{
		DataViewID: id,
		Status:     report.Failed,
		Error:      msg,
		Retryable:  retryableErrorTypes[f.Error] || strings.HasPrefix(f.Error, "Lambda."),
	}
	// Keep what is known of the attempt (start time) from the in-flight record.
	if b, err := g.Store.Get(ctx, resultKey(m.RunID, id)); err == nil {
		var prev report.Result
		if json.Unmarshal(b, &prev) == nil && prev.DataViewID == id {
			res.Started = prev.Started
		}
	}
	if err := g.writeRecord(ctx, m, res); err != nil {
		return GenerateOutput{}, err
	}
	g.stop(ctx, m, log)
	log.Warn("data view failed", "error", res.Error, "errorType", f.Error)
	return GenerateOutput{Status: report.Failed, DataViewID: id}, nil
}

// FailureMessage is the one-line reason of a caught task failure. Step
// Functions gives a Lambda error's cause as JSON with errorMessage;
// aws-local-stepfunctions gives "<errorType>: <errorMessage>".
func FailureMessage(f TaskFailure) string {
	msg := strings.TrimSpace(f.Cause)
	var lambdaErr struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(msg), &lambdaErr) == nil && lambdaErr.ErrorMessage != "" {
		msg = lambdaErr.ErrorMessage
	}
	msg = strings.TrimPrefix(msg, f.Error+": ")
	if msg == "" {
		msg = f.Error
	}
	switch f.Error {
	case "States.Timeout":
		return "timed out: the generator did not answer in time (run it again; if it keeps timing out, raise the generator's Timeout)"
	case "TransientError":
		return msg + " (gave up after retries)"
	case "DeadlineError":
		return strings.TrimSuffix(msg, deadlineRetried) + " (gave up after retries: run it again with fewer workers, so each gets a larger share of the rate limit, or document very large data views with the cja-sdr command)"
	case "InputError", "ConfigError":
		return msg // they say what is wrong with the input or the deployment
	}
	// Not one of the generator's own errors: the function crashed, ran out
	// of memory, or Lambda could not run it.
	what := f.Error
	if msg != f.Error {
		what += ": " + msg
	}
	return "the generator failed unexpectedly (" + what + "); run it again, and if it keeps failing, check the generator's log for this data view"
}

// deadlineRetried ends a DeadlineError's message; a failure record, written
// when no retry is left, drops it.
const deadlineRetried = "; it will be retried"

// RunStops records that a run stopped at its first failure. The state
// machine's Map stops launching data views then, but those already launched
// would still spend their API calls on a run that is over; they check this
// first and skip.
type RunStops interface {
	Stop(ctx context.Context, runID string) error
	Stopped(ctx context.Context, runID string) (bool, error)
}

// stop marks the run stopped if a failure ends it. A failure to mark it
// only costs the work of the data views already launched.
func (g *Generator) stop(ctx context.Context, m *Manifest, log *slog.Logger) {
	if g.Stops == nil || m.ContinueOnError {
		return
	}
	if err := g.Stops.Stop(ctx, m.RunID); err != nil {
		log.Warn("could not mark the run stopped", "error", err.Error())
	}
}

func (g *Generator) stopped(ctx context.Context, m *Manifest, log *slog.Logger) bool {
	if g.Stops == nil || m.ContinueOnError {
		return false
	}
	stopped, err := g.Stops.Stopped(ctx, m.RunID)
	if err != nil {
		log.Warn("could not check whether the run stopped; generating", "error", err.Error())
		return false
	}
	return stopped
}

func (g *Generator) writeRecord(ctx context.Context, m *Manifest, r report.Result) error {
	if _, err := writeJSON(ctx, g.Store, resultKey(m.RunID, r.DataViewID), r); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return &DeadlineError{Msg: "generator: " + err.Error()}
		}
		return &TransientError{Msg: "generator: " + err.Error()}
	}
	return nil
}
