package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/cache"
	"github.com/cja-sdr/cja-sdr/internal/quality"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
)

// cacheSection is section f: the sample organisation's data views (the
// 5,000-component one included) generated twice with a local validation
// cache, as two runs of `cja-sdr --enable-cache` would.
//
// The cache keeps validation results only: the second run fetches
// everything again (the key is a hash of the fetched components), so it
// saves CPU, never API requests. The time saved is measured directly, since
// a few milliseconds vanish in the noise of two batch wall times: the
// checks the hits skip, less the hashing every lookup pays for its key.
func cacheSection(ctx context.Context, cfg Config) []Row {
	const name = "validation cache: sample org's data views, twice"
	sim := sampleorg.New(sampleorg.Options{Latency: cfg.scaled(cfg.RateLatency)})
	client := newClient(cfg, sim, clientOpts{rateLimit: -1})
	ids := sim.DataViewIDs()
	dir, err := os.MkdirTemp("", "sdrbench-cache-")
	if err != nil {
		return []Row{naRow("f", name, "", err.Error())}
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "validation_cache.json")
	// The simulator builds each fixture's components on first use, and the
	// client fetches its token: neither belongs to run 1's time.
	for _, id := range ids {
		_, _ = client.FetchDataView(ctx, id)
	}

	type pass struct {
		run
		stats    cache.Stats
		requests int64
	}
	once := func() (pass, error) {
		c, _, err := cache.OpenLocal(path, 1000, 24*time.Hour, nil)
		if err != nil {
			return pass{}, err
		}
		gen := generator(client)
		gen.Cache = c
		sim.ResetStats()
		r := timedBatch(ctx, ids, cfg.RateWorkers, gen.Generate)
		if err := c.Close(); err != nil {
			return pass{}, err
		}
		return pass{run: r, stats: c.Stats(), requests: sim.Stats().Requests.CJA()}, nil
	}
	first, err := once()
	if err != nil {
		return []Row{naRow("f", name, "", err.Error())}
	}
	second, err := once()
	if err != nil {
		return []Row{naRow("f", name, "", err.Error())}
	}

	// What a hit skips and what every lookup pays, per data view checked.
	var checks, keys time.Duration
	checked := 0
	for _, res := range second.results {
		if res.Status != report.Success {
			continue
		}
		data, err := client.FetchDataView(ctx, res.DataViewID)
		if err != nil {
			return []Row{naRow("f", name, "", err.Error())}
		}
		checked++
		checks += fastest(3, func() { quality.Check(data.Metrics, data.Dimensions) })
		keys += fastest(3, func() { cache.Key(data.Metrics, data.Dimensions) })
	}
	hits := second.stats.Hits
	net := checks - keys
	rows := []Row{{
		Section: "f", Name: fmt.Sprintf("%s (%d DVs)", name, len(ids)),
		Value:  float64(hits),
		Figure: fmt.Sprintf("%d/%d hits on run 2, %s of checks skipped", hits, checked, ms(checks)),
		Target: "a hit for every data view checked",
		Status: verdict(hits == int64(checked) && checked > 0),
		Note: fmt.Sprintf("run 1: %d misses, %d hits; the empty data view fails before any check; API requests: %d on run 1, %d on run 2 (the cache saves CPU, not requests, so it does not move the rate-limit ceiling)",
			first.stats.Misses, first.stats.Hits, first.requests, second.requests),
	}}
	verdictNote := "the cache saves CPU"
	if net <= 0 {
		verdictNote = "hashing the components for the key costs more than the checks it skips: the cache does not pay for itself on these data views"
	}
	rows = append(rows, Row{
		Section: "f", Name: "validation cache: CPU saved per batch (net of key hashing)",
		Value:  float64(net) / float64(time.Millisecond),
		Figure: fmt.Sprintf("%s (checks %s - key hashing %s)", ms(net), ms(checks), ms(keys)),
		Status: Info,
		Note: fmt.Sprintf("%s; batch wall time, W=%d with %s per request: run 1 %s, run 2 %s",
			verdictNote, cfg.RateWorkers, ms(cfg.scaled(cfg.RateLatency)), ms(first.wall), ms(second.wall)),
	})
	cfg.progress("   hits %d/%d, checks %s, keys %s", hits, checked, ms(checks), ms(keys))
	return rows
}

// fastest times f reps times and returns the fastest.
func fastest(reps int, f func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range reps {
		start := time.Now()
		f()
		best = min(best, time.Since(start))
	}
	return best
}
