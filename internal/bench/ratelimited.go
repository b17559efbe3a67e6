package bench

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
)

// windowMarginPct is the margin of the client-window row: 5% of 6 s is
// 300 ms, more than a network's usual jitter.
const windowMarginPct = 5

// requestsPerDataView is what one single-page data view costs us: the data
// view, its metrics and its dimensions.
const requestsPerDataView = 3

// rateLimited is sections b and c: the batch against the simulator enforcing
// CJA's limit per credential (scaled), with
//
//	b) our local pool (one limiter shared by the workers), the Map's
//	   strategy (W clients with limit/W each, as W generator Lambdas), and
//	   W clients that each believe they have the whole limit;
//	c) the reference tool's request pattern, replayed by a small driver.
//
// Every row runs against the same simulator, one after another, with a
// full window of rest in between so no row inherits another's requests.
//
// Throughput is counted after the first window: a window that starts empty
// lets limit/requests-per-data-view data views through for free, which a
// batch of a few windows would otherwise report as speed above the ceiling.
func rateLimited(ctx context.Context, cfg Config) []Row {
	per := cfg.scaled(cfg.RatePer)
	lat := cfg.scaled(cfg.RateLatency)
	n := max(wholeWindows(cfg.RateN, cfg.RateLimit), cfg.MapN, cfg.RefN)
	sim := sampleorg.New(sampleorg.Options{Latency: lat, RateLimit: cfg.RateLimit, RatePer: per, Synthetic: n})
	ceiling := float64(cfg.RateLimit) / cfg.RatePer.Minutes() / requestsPerDataView
	limitText := fmt.Sprintf("%d per %s", cfg.RateLimit, cfg.RatePer)

	rest := func() {
		sleepCtx(ctx, per+per/10)
		sim.ResetStats()
	}
	var rows []Row

	// b) The local pool: one client, so one limiter, shared by the workers.
	rest()
	w := cfg.RateWorkers
	client := newClient(cfg, sim, clientOpts{rateLimit: cfg.RateLimit, ratePer: per})
	ours := measure(ctx, cfg, sim, synthIDs(sim, wholeWindows(cfg.RateN, cfg.RateLimit)), w, generator(client).Generate)
	oursRate := ours.rate
	row := Row{
		Section: "b", Name: fmt.Sprintf("local pool W=%d, shared limiter knows %s (%d DVs)", w, limitText, ours.n),
		Value:  ours.rate / ceiling,
		Figure: fmt.Sprintf("%.1f DV/min = %.2f of %.0f/min, %d x 429", ours.rate, ours.rate/ceiling, ceiling, ours.throttled),
		Target: ">= 0.95 of ceiling, 0 x 429",
		Status: verdict(ours.rate >= 0.95*ceiling && ours.throttled == 0 && ours.failed == 0),
		Note:   ours.describe(),
	}
	if ours.throttled > 0 {
		row.Note += "; the 429s: the limiter admits a request the instant the oldest of its window is 6 s old, and when that oldest request reached the API later than the new one does, the API still counts it in its own window (the client retried them, so nothing failed); a real network's jitter makes this more frequent: a client window a little longer than the API's (next row) absorbs it"
	}
	rows = append(rows, row)
	cfg.progress("   local pool: %.1f DV/min, %d x 429, wall %s", ours.rate, ours.throttled, ours.wall.Round(time.Millisecond))

	// b) The same pool with the client's window a little longer than the
	// API's: a time margin for requests that reach the API out of step
	// with the order the limiter admitted them in.
	if ctx.Err() == nil {
		rest()
		window := cfg.RatePer + cfg.RatePer*windowMarginPct/100
		client := newClient(cfg, sim, clientOpts{rateLimit: cfg.RateLimit, ratePer: cfg.scaled(window)})
		m := measure(ctx, cfg, sim, synthIDs(sim, cfg.MapN), w, generator(client).Generate)
		own := float64(cfg.RateLimit) / window.Minutes() / requestsPerDataView
		rows = append(rows, Row{
			Section: "b", Name: fmt.Sprintf("local pool W=%d, limiter window %s (%d%% margin) (%d DVs)", w, window, windowMarginPct, m.n),
			Value:  m.rate / ceiling,
			Figure: fmt.Sprintf("%.1f DV/min = %.2f of %.0f/min, %d x 429", m.rate, m.rate/ceiling, ceiling, m.throttled),
			Status: Info,
			Note: fmt.Sprintf("what a time margin costs and buys: its own ceiling is %.1f/min (a count margin, rate_limit %d, does not help: the request the limiter admits as the oldest leaves its window can still land in the API's); %s",
				own, cfg.RateLimit-1, m.describe()),
		})
		cfg.progress("   window %s: %.1f DV/min, %d x 429", window, m.rate, m.throttled)
	}

	// b) The Map: W generator Lambdas, each its own client with its share.
	for _, mw := range cfg.MapWorkers {
		if ctx.Err() != nil {
			break
		}
		rest()
		limit, sharePer := workerShare(cfg.RateLimit, mw)
		clients := make(chan *cja.Client, mw)
		for range mw {
			clients <- newClient(cfg, sim, clientOpts{rateLimit: limit, ratePer: cfg.scaled(sharePer)})
		}
		m := measure(ctx, cfg, sim, synthIDs(sim, cfg.MapN), mw, pooled(clients))
		// What the shares add up to: W x limit per sharePer.
		shareCeiling := float64(mw*limit) / sharePer.Minutes() / requestsPerDataView
		row := Row{
			Section: "b", Name: fmt.Sprintf("Map W=%d, %d clients of %d per %s each (%d DVs)", mw, mw, limit, sharePer, m.n),
			Value:  m.rate / ceiling,
			Figure: fmt.Sprintf("%.1f DV/min = %.2f of %.0f/min, %d x 429", m.rate, m.rate/ceiling, ceiling, m.throttled),
			Target: fmt.Sprintf(">= 0.95 of shares' %.1f/min, 0 x 429", shareCeiling),
			Status: verdict(m.rate >= 0.95*shareCeiling && m.throttled == 0 && m.failed == 0),
		}
		notes := []string{m.describe(), fmt.Sprintf("each generator spends %s (real) per data view, most of it waiting for its share: what Lambda bills", realTime(cfg, mean(m.durations())))}
		if m.throttled > 0 {
			notes = append(notes, "the 429s: the shares add up to the whole limit, so requests that reach the API out of step with their clients' windows trip it, as in the local pool's row")
		}
		if shareCeiling < ceiling*0.999 {
			used := float64(mw*limit) * float64(cfg.RatePer) / float64(sharePer)
			notes = append(notes, fmt.Sprintf("the shares add up to %.4g of the %d requests per window (%d/%d rounds down): worker counts that divide %d lose nothing",
				used, cfg.RateLimit, cfg.RateLimit, mw, cfg.RateLimit))
		}
		row.Note = strings.Join(notes, "; ")
		rows = append(rows, row)
		cfg.progress("   Map W=%d: %.1f DV/min, %d x 429", mw, m.rate, m.throttled)
	}

	// b) Without a share: W clients that each think they have the limit.
	if ctx.Err() == nil {
		rest()
		mw := cfg.RateWorkers
		clients := make(chan *cja.Client, mw)
		for range mw {
			clients <- newClient(cfg, sim, clientOpts{rateLimit: cfg.RateLimit, ratePer: per})
		}
		m := measure(ctx, cfg, sim, synthIDs(sim, cfg.MapN), mw, pooled(clients))
		rows = append(rows, Row{
			Section: "b", Name: fmt.Sprintf("Map W=%d without a share: %d clients of %s each (%d DVs)", mw, mw, limitText, m.n),
			Value:  m.rate / ceiling,
			Figure: fmt.Sprintf("%.1f DV/min = %.2f of %.0f/min, %d x 429", m.rate, m.rate/ceiling, ceiling, m.throttled),
			Status: Info,
			Note:   "what the share prevents: together the clients send up to " + fmt.Sprint(mw) + "x the limit, the API answers 429 and the client backs off (full jitter); " + m.describe(),
		})
		cfg.progress("   no share W=%d: %.1f DV/min, %d x 429", mw, m.rate, m.throttled)
	}

	// c) The reference tool's pattern, same simulator, same workers.
	if ctx.Err() == nil {
		rest()
		ref := newReference(cfg, sim)
		bctx, cancel := context.WithTimeout(ctx, cfg.RefBudget)
		m := measure(bctx, cfg, sim, synthIDs(sim, cfg.RefN), w, ref.dataView)
		cancel()
		refCeiling := float64(cfg.RateLimit) / cfg.RatePer.Minutes() / referenceRequests
		note := fmt.Sprintf("per data view: a listing (connection test), the data view twice, metrics, dimensions, one after another; a fixed %s sleep after each 429, no client-side limit; its own ceiling without 429s would be %.0f/min; %s",
			cfg.RefSleep, refCeiling, m.describe())
		if m.stopped {
			note += fmt.Sprintf("; time-boxed at %s (%s real): %d of %d data views done", cfg.RefBudget, realTime(cfg, cfg.RefBudget), m.ok, len(m.results))
		}
		rows = append(rows, Row{
			Section: "c", Name: fmt.Sprintf("reference pattern W=%d (5 requests/DV, sleep %s on 429)", w, cfg.RefSleep),
			Value:  m.rate,
			Figure: fmt.Sprintf("%.1f DV/min, %d x 429", m.rate, m.throttled),
			Status: Info,
			Note:   note,
		})
		ratio := oursRate / m.rate
		rows = append(rows, Row{
			Section: "c", Name: fmt.Sprintf("ours / reference, W=%d, same simulator", w),
			Value:  ratio,
			Figure: fmt.Sprintf("%.1fx (%.1f vs %.1f DV/min)", ratio, oursRate, m.rate),
			Target: ">= 1.6x",
			Status: verdict(ratio >= 1.6),
			Note:   fmt.Sprintf("fewer requests per data view (%d vs %d) and a limiter that waits for a free slot instead of a fixed sleep after 429s", requestsPerDataView, referenceRequests),
		})
		cfg.progress("   reference: %.1f DV/min, %d x 429", m.rate, m.throttled)
	}
	return rows
}

// workerShare mirrors internal/lambdaio's split of the credential's limit
// between the Map's generators, each a separate Lambda that cannot see the
// others' requests: limit/workers per window, or one request per several
// windows when there are more workers than requests.
func workerShare(limit, workers int) (int, time.Duration) {
	const per = 6 * time.Second
	workers = max(workers, 1)
	if workers <= limit {
		return limit / workers, per
	}
	return 1, time.Duration((workers+limit-1)/limit) * per
}

// pooled runs each data view on a client taken from clients, as each Map
// iteration runs in its own generator Lambda with its own limiter.
func pooled(clients chan *cja.Client) func(context.Context, string) report.Result {
	return func(ctx context.Context, id string) report.Result {
		var c *cja.Client
		select {
		case c = <-clients:
		case <-ctx.Done():
			return report.Result{DataViewID: id, Status: report.Cancelled, Error: "cancelled"}
		}
		defer func() { clients <- c }()
		return generator(c).Generate(ctx, id)
	}
}

// measured is one rate-limited batch.
type measured struct {
	run
	n, ok, failed int
	throttled     int64
	requests      int64 // answered 200
	attempts      int64 // every CJA request, 429s included
	rate          float64
	stopped       bool // the time box ended the batch
	maxInFlight   int
	cfg           Config
}

// measure runs ids with workers and reads the simulator's counters.
func measure(ctx context.Context, cfg Config, sim *sampleorg.Server, ids []string, workers int, fn func(context.Context, string) report.Result) measured {
	r := timedBatch(ctx, ids, workers, fn)
	st := sim.Stats()
	// Every CJA request is either answered or throttled here (no faults);
	// ByStatus[200] would also count the IMS token requests.
	m := measured{run: r, n: len(ids), cfg: cfg, throttled: st.Throttled, requests: st.Requests.CJA() - st.Throttled, attempts: st.Requests.CJA(),
		stopped: ctx.Err() != nil, maxInFlight: st.MaxDataViewsInFlight}
	m.ok = r.succeeded()
	for _, res := range r.results {
		if res.Status == report.Failed {
			m.failed++
		}
	}
	m.rate = m.throughput(cfg)
	return m
}

// throughput is data views per real minute after the first window: a window
// that starts empty admits limit/requests-per-data-view data views at once.
func (m measured) throughput(cfg Config) float64 {
	if m.ok == 0 {
		return math.NaN()
	}
	perDV := float64(m.requests) / float64(m.ok)
	free := float64(cfg.RateLimit) / perDV
	return cfg.perRealMinute(max(float64(m.ok)-free, 0), m.wall)
}

// durations are the successful data views' generation times.
func (m measured) durations() []time.Duration {
	var ds []time.Duration
	for _, res := range m.results {
		if res.Status == report.Success {
			ds = append(ds, res.Duration)
		}
	}
	return ds
}

func (m measured) describe() string {
	s := fmt.Sprintf("%d of %d done in %.1f s (%s real), %.2f requests per data view (%d answered, %d x 429 of %d sent)",
		m.ok, m.n, m.wall.Seconds(), realTime(m.cfg, m.wall), float64(m.requests)/float64(max(m.ok, 1)), m.requests, m.throttled, m.attempts)
	if m.failed > 0 {
		s += fmt.Sprintf(", %d FAILED (%s)", m.failed, m.firstError())
	}
	return s
}

// realTime renders a scaled duration as the real time it stands for.
func realTime(cfg Config, d time.Duration) string {
	r := time.Duration(float64(d) / cfg.Scale)
	switch {
	case r >= time.Minute:
		return fmt.Sprintf("%.1f min", r.Minutes())
	case r >= 10*time.Second:
		return fmt.Sprintf("%.0f s", r.Seconds())
	}
	return fmt.Sprintf("%.1f s", r.Seconds())
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// wholeWindows rounds n down to a number of data views whose requests fill
// whole windows of limit (at least one such number): a batch that ends a
// request into a new window waits that whole window, which would be charged
// to throughput.
func wholeWindows(n, limit int) int {
	unit := limit / gcd(limit, requestsPerDataView)
	return max(n/unit, 1) * unit
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
