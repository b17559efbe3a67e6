package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/batch"
	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/generate"
	"github.com/cja-sdr/cja-sdr/internal/ratelimit"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }

// clientOpts are the knobs of one API client in a bench.
type clientOpts struct {
	rateLimit int // requests per ratePer; negative = no client-side limit
	ratePer   time.Duration
	limiter   *ratelimit.Window // shared limiter (overrides rateLimit)
}

// newClient returns an API client of the simulator with every time of the
// client (backoff, Retry-After cap, time-out) scaled like the simulator.
func newClient(cfg Config, sim *sampleorg.Server, o clientOpts) *cja.Client {
	creds := sampleorg.DemoCredentials()
	c, err := cja.New(cja.Config{
		OrgID: creds.OrgID, ClientID: creds.ClientID, Secret: creds.Secret, Scopes: creds.Scopes,
		IMSURL: sampleorg.DemoIMSURL, CJAURL: sampleorg.DemoCJAURL,
		HTTPClient:     sim.Client(),
		RateLimit:      o.rateLimit,
		RatePer:        o.ratePer,
		Limiter:        o.limiter,
		RequestTimeout: max(cfg.scaled(cja.DefaultRequestTimeout), time.Second),
		BaseBackoff:    cfg.scaled(cja.DefaultBaseBackoff),
		MaxBackoff:     cfg.scaled(cja.DefaultMaxBackoff),
		MaxRetryAfter:  cfg.scaled(cja.DefaultMaxRetryAfter),
	})
	if err != nil {
		panic("bench: demo credentials refused: " + err.Error()) // a bug here, not a runtime condition
	}
	return c
}

// run is one timed batch: its results, wall time and completion times.
type run struct {
	results []report.Result
	wall    time.Duration
	done    []time.Duration // completion times since start, in order
}

// succeeded counts SUCCESS results.
func (r run) succeeded() int {
	n := 0
	for _, res := range r.results {
		if res.Status == report.Success {
			n++
		}
	}
	return n
}

// firstError is the first failure's reason, for notes.
func (r run) firstError() string {
	for _, res := range r.results {
		if res.Status != report.Success {
			return string(res.Status) + ": " + res.Error
		}
	}
	return ""
}

// timedBatch runs ids through batch.Run with workers, continuing on errors.
func timedBatch(ctx context.Context, ids []string, workers int, fn batch.Func) run {
	var mu sync.Mutex
	var done []time.Duration
	start := time.Now()
	results := batch.Run(ctx, ids, batch.Options{
		Workers:         workers,
		ContinueOnError: true,
		OnDone: func(report.Result) {
			mu.Lock()
			done = append(done, time.Since(start))
			mu.Unlock()
		},
	}, fn)
	wall := time.Since(start)
	slices.Sort(done)
	return run{results: results, wall: wall, done: done}
}

// generator is the engine as the command runs it, writing excel workbooks
// into memory so the disk does not take part.
func generator(f cja.Fetcher) *generate.Generator {
	return &generate.Generator{Fetcher: f, Store: store.NewMemory(), Options: generate.Options{Formats: []string{"excel"}, ToolVersion: "bench"}}
}

// discard is a store that keeps nothing, so CPU measurements do not count
// holding the bytes.
type discard struct{}

var _ store.Store = discard{}

func (discard) Put(ctx context.Context, key string, write func(io.Writer) error) (store.Object, error) {
	var n countWriter
	if err := write(&n); err != nil {
		return store.Object{}, err
	}
	return store.Object{Key: key, Path: "discard://" + key, Size: int64(n)}, ctx.Err()
}
func (discard) Get(context.Context, string) ([]byte, error)    { return nil, store.ErrNotExist }
func (discard) List(context.Context, string) ([]string, error) { return nil, nil }
func (discard) Delete(context.Context, string) error           { return nil }

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// synthIDs returns the first n synthetic data views of sim.
func synthIDs(sim *sampleorg.Server, n int) []string {
	var out []string
	for _, id := range sim.DataViewIDs() {
		if len(id) > 8 && id[:8] == "dv_synth" {
			out = append(out, id)
		}
	}
	return out[:min(n, len(out))]
}

// median of durations (the upper one for even counts).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t / time.Duration(len(ds))
}

// loadAverage is the 1-minute load average ("" where unknown): other
// processes on these cores slow every CPU-bound figure down.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// cpuMeter measures the CPU time this process spends between start and stop.
type cpuMeter struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuMeter {
	t, ok := cpuTime()
	return cpuMeter{t, ok}
}

// stop returns the CPU time used since startCPU, or false where unknown.
func (m cpuMeter) stop() (time.Duration, bool) {
	t, ok := cpuTime()
	if !ok || !m.ok {
		return 0, false
	}
	return t - m.start, true
}

// currentRSS is the resident set size now, from /proc (0 where unknown).
func currentRSS() int64 { return procStatus("VmRSS:") }

// procStatus reads a size field of /proc/self/status in bytes (Linux; 0
// elsewhere).
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field); ok {
			var kb int64
			if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb); err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}
