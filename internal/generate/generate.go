// Package generate turns one data view into SDR files: fetch, check (or reuse
// cached checks), build the document, render every format, store. The command
// and the generator Lambda run exactly this code; it knows nothing of either.
package generate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/cache"
	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/quality"
	"github.com/cja-sdr/cja-sdr/internal/render"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sdr"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

// ErrEmpty is the failure for a data view with neither metrics nor dimensions.
// Its text is the reference tool's, capital letter included.
//
//lint:ignore ST1005 users and their scripts know this exact message
var ErrEmpty = errors.New("No metrics or dimensions found - data view may be empty or inaccessible")

// Options shape every SDR of a run.
type Options struct {
	Formats        []string // render formats; empty means excel
	SkipValidation bool     // no data quality checks (empty DQ sheet)
	MaxIssues      int      // keep the top N issues; 0 keeps all
	Prefix         string   // store key prefix for SDR files ("" or ".../")
	ToolVersion    string
}

// Generator makes the SDR of one data view at a time; one Generator is shared
// by every worker of a run.
type Generator struct {
	Fetcher cja.Fetcher
	Store   store.Store
	Cache   cache.Cache // nil disables caching
	Options Options
	Now     func() time.Time // nil means time.Now
	Log     *slog.Logger     // nil discards
}

// Generate never returns an error: every outcome, good or bad, is a Result,
// so that each requested data view ends in the summary with a status.
func (g *Generator) Generate(ctx context.Context, id string) report.Result {
	now := g.Now
	if now == nil {
		now = time.Now
	}
	log := g.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	start := now()
	res := report.Result{DataViewID: id, Started: start}
	finish := func(err error) report.Result {
		res.Duration = now().Sub(start)
		if err == nil {
			res.Status = report.Success
			return res
		}
		res.Status = report.Failed
		if ctx.Err() != nil {
			res.Status = report.Cancelled
		}
		res.Error = FailureReason(err)
		res.Retryable = cja.Retryable(err)
		return res
	}

	data, err := g.Fetcher.FetchDataView(ctx, id)
	if data != nil {
		res.Requests = data.Requests
	}
	if err != nil {
		return finish(err)
	}
	res.Name = data.DataView.Name()
	res.Metrics, res.Dimensions = len(data.Metrics), len(data.Dimensions)
	if len(data.Metrics) == 0 && len(data.Dimensions) == 0 {
		return finish(ErrEmpty)
	}

	issues, hit, err := g.check(ctx, data, log)
	if err != nil {
		return finish(err)
	}
	res.CacheHit = hit
	issues = quality.Top(issues, g.Options.MaxIssues)
	res.Issues = len(issues)
	if !g.Options.SkipValidation {
		res.IssuesBySeverity = map[string]int{}
		for sev, n := range quality.CountBySeverity(issues) {
			res.IssuesBySeverity[string(sev)] = n
		}
	}

	doc := &sdr.Document{
		Generated:         start,
		ToolVersion:       g.Options.ToolVersion,
		DataView:          data.DataView,
		Metrics:           data.Metrics,
		Dimensions:        data.Dimensions,
		Issues:            issues,
		ValidationSkipped: g.Options.SkipValidation,
	}
	formats := g.Options.Formats
	if len(formats) == 0 {
		formats = []string{"excel"}
	}
	objs, err := render.Write(ctx, g.Store, g.Options.Prefix, doc, formats)
	switch {
	case errors.Is(err, render.ErrTooWide):
		return finish(fmt.Errorf("write SDR: %w", err)) // says what to do already
	case err != nil:
		return finish(fmt.Errorf("write SDR: %w (check that the output location exists, can be written to and has free space, then run it again)", err))
	}
	res.Outputs = objs
	return finish(nil)
}

// check runs the data quality checks, reusing a cached result when the
// components are unchanged. A cache failure never fails the data view.
func (g *Generator) check(ctx context.Context, data *cja.DataViewData, log *slog.Logger) ([]quality.Issue, bool, error) {
	if g.Options.SkipValidation {
		return nil, false, nil
	}
	if g.Cache == nil {
		return quality.Check(data.Metrics, data.Dimensions), false, nil
	}
	key := cache.Key(data.Metrics, data.Dimensions)
	if issues, ok, err := g.Cache.Get(ctx, key); err != nil {
		log.Warn("validation cache read failed; checking without it", "error", err.Error())
	} else if ok {
		return issues, true, nil
	}
	issues := quality.Check(data.Metrics, data.Dimensions)
	if err := g.Cache.Put(ctx, key, issues); err != nil {
		log.Warn("validation cache write failed", "error", err.Error())
	}
	return issues, false, nil
}

// FailureReason is the one-line reason users see in the summary. Not found
// and forbidden data views read as the reference tool's "Data view validation
// failed", followed by the API's own explanation and what to do.
func FailureReason(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, ErrEmpty):
		// The reference tool's words first (scripts match them), then what to do.
		return err.Error() + " (add components to it in CJA, or check the ID with --list-dataviews)"
	case errors.Is(err, cja.ErrUnauthorized), isAPIKeyRejected(err):
		// The credentials, not the data view: say it once, in front.
		return "CJA initialization failed: " + err.Error()
	case errors.Is(err, cja.ErrNotFound), errors.Is(err, cja.ErrForbidden):
		return "Data view validation failed: " + err.Error()
	}
	return err.Error()
}

// isAPIKeyRejected reports the gateway refusing the client ID as API key
// (403 "403003 Api Key is invalid"): a credentials problem, not a data view's.
func isAPIKeyRejected(err error) bool {
	var e *cja.Error
	return errors.As(err, &e) && e.Kind == cja.KindForbidden && e.Code == "403003"
}
