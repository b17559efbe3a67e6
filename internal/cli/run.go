package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/batch"
	"github.com/cja-sdr/cja-sdr/internal/cache"
	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/generate"
	"github.com/cja-sdr/cja-sdr/internal/render"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

// generate writes the SDRs: single mode for one ID, batch mode otherwise.
func (r *runner) generate(ctx context.Context) int {
	start := r.env.Now()
	ids := r.o.ids
	if r.o.all {
		list, code, ok := r.list(ctx)
		if !ok {
			return code
		}
		if len(list) == 0 {
			r.log.Error("No data views are visible to these credentials; check the product profile in the Adobe Admin Console")
			return ExitFailure
		}
		ids = listedIDs(list)
	}
	dir, err := store.NewDir(r.env.path(r.o.outputDir))
	if err != nil {
		r.log.Error(err.Error())
		return ExitFailure
	}
	formats, _ := render.ParseFormat(r.o.format) // validated with the other options
	valCache, closeCache, err := r.openCache()
	if err != nil {
		r.log.Error(err.Error())
		return ExitFailure
	}
	defer closeCache()
	gen := &generate.Generator{
		Fetcher: r.client,
		Store:   dir,
		Cache:   valCache,
		Options: generate.Options{Formats: formats, SkipValidation: r.o.skipValidation, MaxIssues: r.o.maxIssues, ToolVersion: Version},
		Now:     r.env.Now,
		Log:     r.log,
	}
	if r.o.singleMode() {
		return r.single(ctx, gen, ids[0], start)
	}
	return r.batch(ctx, gen, ids, start)
}

func (r *runner) single(ctx context.Context, gen *generate.Generator, id string, start time.Time) int {
	r.log.Info("Processing data view: " + id)
	res := gen.Generate(ctx, id)
	explainStop(&res, ctx.Err() != nil)
	out := r.env.Stdout
	if res.Status == report.Success {
		r.log.Info(fmt.Sprintf("✓ %s: SUCCESS (%.1fs)", id, res.Duration.Seconds()))
		fmt.Fprintln(out, r.colour(green, "SUCCESS: SDR generated for "+oneLine(res.Name)))
		var size int64
		shown := map[string]bool{}
		for _, obj := range res.Outputs {
			p := displayPath(obj)
			if strings.Contains(obj.Key, "_csv/") {
				p = filepath.Dir(p) // one line for the folder of CSV sheets
			}
			if !shown[p] {
				fmt.Fprintf(out, "Output: %s\n", p)
				shown[p] = true
			}
			size += obj.Size
		}
		fmt.Fprintf(out, "Size: %s\n", kb(size))
		fmt.Fprintf(out, "Metrics: %d, Dimensions: %d\n", res.Metrics, res.Dimensions)
		fmt.Fprintf(out, "Data Quality Issues: %d\n", dqCount(res))
	} else {
		r.log.Error(fmt.Sprintf("✗ %s: %s - %s", id, res.Status, res.Error))
		fmt.Fprintln(out, r.colour(red, "FAILED: "+oneLine(res.Error)))
	}
	fmt.Fprintf(out, "Total runtime: %.1fs\n", r.env.Now().Sub(start).Seconds())
	r.logCacheStats()
	switch {
	case ctx.Err() != nil:
		return ExitInterrupted
	case res.Status != report.Success:
		return ExitFailure
	}
	return ExitOK
}

// explainStop words the reason of a data view the run stopped before it
// finished, so the summary says why and what to do: interrupted (Ctrl-C), or
// stopped at another data view's failure.
func explainStop(res *report.Result, interrupted bool) {
	switch {
	case res.Status == report.Cancelled && interrupted:
		res.Error = "cancelled: interrupted while in flight; its partial files were removed (run it again)"
	case res.Status == report.Cancelled:
		res.Error = "cancelled: the run stopped at another data view's failure while this one was in flight (use --continue-on-error to process every data view)"
	case res.Status == report.Skipped && interrupted:
		res.Error = "not started: the run was interrupted (run it again)"
	}
}

// dqCount is the issue count users expect: the INFO "no issues" row is not an issue.
func dqCount(res report.Result) int {
	return res.Issues - res.IssuesBySeverity["INFO"]
}

func (r *runner) batch(ctx context.Context, gen *generate.Generator, ids []string, start time.Time) int {
	if !r.o.quiet {
		fmt.Fprintf(r.env.Stdout, "Processing %d data view(s) in batch mode with %d workers...\n\n", len(ids), r.o.workers)
	}
	r.log.Info("BATCH PROCESSING START")
	r.log.Info(fmt.Sprintf("Data views to process: %d", len(ids)))
	r.log.Info(fmt.Sprintf("Parallel workers: %d", r.o.workers))
	r.log.Info("Continue on error: " + pyBool(r.o.continueOnError))
	r.log.Info("Output directory: " + r.o.outputDir)
	r.progress.start(len(ids))
	parent := ctx
	results := batch.Run(ctx, ids, batch.Options{
		Workers:         r.o.workers,
		ContinueOnError: r.o.continueOnError,
		OnDone: func(res report.Result) {
			switch res.Status {
			case report.Success:
				r.log.Info(fmt.Sprintf("✓ %s: SUCCESS (%.1fs)", res.DataViewID, res.Duration.Seconds()))
			case report.Cancelled:
				r.log.Warn(fmt.Sprintf("- %s: CANCELLED", res.DataViewID))
			default:
				r.log.Error(fmt.Sprintf("✗ %s: FAILED - %s", res.DataViewID, res.Error))
			}
			r.progress.step()
		},
	}, func(ctx context.Context, id string) report.Result {
		res := gen.Generate(ctx, id)
		explainStop(&res, ctx.Err() != nil && parent.Err() != nil)
		return res
	})
	interrupted := parent.Err() != nil
	for i := range results {
		explainStop(&results[i], interrupted)
		// Names and reasons come from the API: one line each in the summary.
		results[i].Name, results[i].Error = oneLine(results[i].Name), oneLine(results[i].Error)
	}
	r.progress.finish()
	sum := report.Summarize(results, r.env.Now().Sub(start))
	fmt.Fprint(r.env.Stdout, "\n"+sum.Text())
	if r.logFile != nil {
		fmt.Fprint(r.logFile, sum.Text())
	}
	r.logCacheStats()
	switch {
	case ctx.Err() != nil:
		r.log.Error("Interrupted: in-flight data views were cancelled and their partial files removed")
		return ExitInterrupted
	case !sum.OK() && !r.o.continueOnError:
		return ExitFailure
	}
	return ExitOK
}

// list gets every data view the credentials can see. When that fails it
// logs why and returns the exit code (130 if the user interrupted it).
func (r *runner) list(ctx context.Context) ([]cja.DataViewInfo, int, bool) {
	list, err := r.client.ListDataViews(ctx)
	if err != nil {
		if code, ok := r.interrupted(ctx); ok {
			return nil, code, false
		}
		r.log.Error("Could not list data views: " + err.Error())
		return nil, ExitFailure, false
	}
	return list, 0, true
}

// listDataViews prints ID, name and owner, or JSON with --format json.
func (r *runner) listDataViews(ctx context.Context) int {
	list, code, ok := r.list(ctx)
	if !ok {
		return code
	}
	if r.o.format == "json" {
		if list == nil {
			list = []cja.DataViewInfo{} // scripts get [] rather than null
		}
		enc := json.NewEncoder(r.env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"dataViews": list, "count": len(list)}); err != nil {
			return ExitFailure
		}
		return ExitOK
	}
	fmt.Fprintf(r.env.Stdout, "Found %d accessible data view(s):\n\n", len(list))
	tw := tabwriter.NewWriter(r.env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tName\tOwner")
	fmt.Fprintln(tw, "--\t----\t-----")
	for _, dv := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", oneLine(dv.ID), oneLine(dv.Name), oneLine(dv.Owner))
	}
	tw.Flush()
	return ExitOK
}

// listedIDs are the IDs of a listing, each once: offset paging can return a
// data view on two pages when data views are added or removed meanwhile, and
// every data view must be generated, and appear in the summary, only once.
func listedIDs(list []cja.DataViewInfo) []string {
	ids := make([]string, 0, len(list))
	seen := make(map[string]bool, len(list))
	for _, dv := range list {
		if !seen[dv.ID] {
			seen[dv.ID] = true
			ids = append(ids, dv.ID)
		}
	}
	return ids
}

// dryRun checks the configuration, the connection and each data view, and
// writes nothing.
func (r *runner) dryRun(ctx context.Context) int {
	ids := r.o.ids
	fmt.Fprintln(r.env.Stdout, "DRY RUN: checking configuration, connection and data views; nothing will be written")
	list, err := r.client.ListDataViews(ctx)
	if err != nil {
		if code, ok := r.interrupted(ctx); ok {
			return code
		}
		fmt.Fprintf(r.env.Stdout, "✗ Connection: %s\n", oneLine(err.Error()))
		return ExitFailure
	}
	fmt.Fprintln(r.env.Stdout, "✓ Configuration and connection OK")
	if r.o.all {
		// The listing above is the one --all means: a second one would cost
		// requests and, if it failed, leave nothing checked and exit 0.
		ids = listedIDs(list)
	}
	failed := 0
	for _, id := range ids {
		data, err := r.client.FetchDataView(ctx, id)
		switch {
		case err != nil:
			failed++
			fmt.Fprintf(r.env.Stdout, "✗ %s: %s\n", id, oneLine(generate.FailureReason(err)))
		case len(data.Metrics)+len(data.Dimensions) == 0:
			failed++
			fmt.Fprintf(r.env.Stdout, "✗ %s: %s\n", id, generate.FailureReason(generate.ErrEmpty))
		default:
			fmt.Fprintf(r.env.Stdout, "✓ %s: %s (%d metrics, %d dimensions)\n", id, oneLine(data.DataView.Name()), len(data.Metrics), len(data.Dimensions))
		}
		if ctx.Err() != nil {
			return ExitInterrupted
		}
	}
	fmt.Fprintf(r.env.Stdout, "\nDry run complete: %d of %d data view(s) ready\n", len(ids)-failed, len(ids))
	if failed > 0 {
		return ExitFailure
	}
	return ExitOK
}

// openCache opens the local validation cache when --enable-cache is given.
func (r *runner) openCache() (cache.Cache, func(), error) {
	if !r.o.enableCache {
		if r.o.clearCache {
			r.log.Warn("--clear-cache has no effect without --enable-cache")
		}
		return nil, func() {}, nil
	}
	var path string
	if dir := r.env.Getenv("CJA_CACHE_DIR"); dir != "" {
		path = filepath.Join(r.env.path(dir), "validation-cache.json")
	} else if p, err := cache.DefaultLocalPath(); err == nil {
		path = p
	} else {
		path = r.env.path(filepath.Join(".cja-sdr-cache", "validation-cache.json"))
	}
	c, warnings, err := cache.OpenLocal(path, r.o.cacheSize, time.Duration(r.o.cacheTTL)*time.Second, r.env.Now)
	if err != nil {
		// The cache only saves time: without it every SDR is still right.
		r.log.Warn(fmt.Sprintf("Validation cache unusable, running without it: %v (set CJA_CACHE_DIR to a writable directory)", err))
		return nil, func() {}, nil
	}
	for _, w := range warnings {
		r.log.Warn(w)
	}
	if r.o.clearCache {
		c.Clear()
		r.log.Info("Validation cache cleared")
	}
	r.cacheStats = c.Stats
	return c, func() {
		if err := c.Close(); err != nil {
			r.log.Warn("Could not save the validation cache: " + err.Error())
		}
	}, nil
}

func (r *runner) logCacheStats() {
	if r.cacheStats != nil {
		s := r.cacheStats()
		r.log.Info(fmt.Sprintf("Validation cache: %d hits, %d misses", s.Hits, s.Misses))
	}
}

func displayPath(obj store.Object) string {
	if obj.Path != "" {
		return obj.Path
	}
	return obj.Key
}

func kb(n int64) string { return fmt.Sprintf("%.1f KB", float64(n)/1024) }

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

const (
	green = "\033[32m"
	red   = "\033[31m"
)

func (r *runner) colour(c, s string) string {
	if !r.env.StdoutIsTerminal {
		return s
	}
	return c + s + "\033[0m"
}
