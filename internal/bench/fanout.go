package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/batch"
	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
)

// fanout is section a: the batch without a rate limit, at several worker
// counts, against the ideal ceil(N/W) x the critical path of one data view.
//
// The critical path is measured, not assumed: the mean time of a sample of
// data views generated alone (three concurrent requests of the simulator's
// latency, plus the CPU of the checks and the workbook). The simulator runs
// in this process, so its own CPU (building the answers) shares the cores.
//
// When a worker count misses the target, the same batch is run fetching
// only (no checks, no workbook): if that reaches the ideal, the pool is
// fine and the miss is CPU on this machine, which the note says with the
// measured CPU time of the batch.
func fanout(ctx context.Context, cfg Config) []Row {
	n, lat := cfg.FanoutN, cfg.FanoutLatency
	sim := sampleorg.New(sampleorg.Options{Latency: lat, Synthetic: n})
	client := newClient(cfg, sim, clientOpts{rateLimit: -1})
	gen := generator(client)
	ids := synthIDs(sim, n)

	gen.Generate(ctx, ids[0]) // the IMS token, outside the measurement
	// Every k-th data view, so the sample has the batch's mix of sizes.
	var sample []string
	for i := 0; i < len(ids); i += max(len(ids)/20, 1) {
		sample = append(sample, ids[i])
	}
	var solo, soloFetch []time.Duration
	for i, id := range sample {
		solo = append(solo, gen.Generate(ctx, id).Duration)
		if i%4 == 0 {
			soloFetch = append(soloFetch, fetchOnly(client)(ctx, id).Duration)
		}
	}
	crit, critFetch := mean(solo), mean(soloFetch)
	rows := []Row{{
		Section: "a", Name: "critical path: 1 data view alone",
		Value: float64(crit) / float64(time.Millisecond), Figure: ms(crit), Status: Info,
		Note: fmt.Sprintf("mean of %d data views generated alone: 3 concurrent requests of %s + %s for the rest (checks, workbook, and the in-process simulator's CPU); fetching alone takes %s",
			len(sample), ms(lat), ms(max(crit-lat, 0)), ms(critFetch)),
	}}

	for _, w := range cfg.FanoutWorkers {
		if ctx.Err() != nil {
			break
		}
		sim.ResetStats()
		meter := startCPU()
		r := timedBatch(ctx, ids, w, gen.Generate)
		used, cpuKnown := meter.stop()
		st := sim.Stats()
		rounds := (len(ids) + w - 1) / w
		ideal := time.Duration(rounds) * crit
		ratio := float64(ideal) / float64(r.wall)
		row := Row{
			Section: "a", Name: fmt.Sprintf("fan-out W=%d (%d DVs, %s/request, no limit)", w, len(ids), ms(lat)),
			Value:  ratio,
			Figure: fmt.Sprintf("%.2f (wall %.2f s, ideal %d x %s = %.2f s)", ratio, r.wall.Seconds(), rounds, ms(crit), ideal.Seconds()),
			Target: ">= 0.95",
			Status: verdict(ratio >= 0.95),
		}
		var notes []string
		if ok := r.succeeded(); ok != len(ids) {
			row.Status = Fail
			notes = append(notes, fmt.Sprintf("%d of %d data views failed (%s)", len(ids)-ok, len(ids), r.firstError()))
		}
		if st.MaxDataViewsInFlight > w {
			row.Status = Fail
			notes = append(notes, fmt.Sprintf("%d data views in flight at once, more than the %d workers", st.MaxDataViewsInFlight, w))
		}
		if ratio < 0.95 {
			notes = append(notes, fmt.Sprintf("wall exceeds the ideal by %s", ms(r.wall-ideal)))
			if cpuKnown {
				floor := used / time.Duration(gomaxprocs())
				notes = append(notes, fmt.Sprintf("the batch used %.2f s of CPU (%s per data view), so %d cores need at least %.2f s%s",
					used.Seconds(), ms(used/time.Duration(len(ids))), gomaxprocs(), floor.Seconds(), loadNote()))
			}
			// The pool alone, without the CPU of checks and workbooks.
			sim.ResetStats()
			meter := startCPU()
			fr := timedBatch(ctx, ids, w, fetchOnly(client))
			fUsed, _ := meter.stop()
			fIdeal := time.Duration(rounds) * critFetch
			fRatio := float64(fIdeal) / float64(fr.wall)
			fetchCPU := ""
			if cpuKnown {
				fetchCPU = fmt.Sprintf(", using %s of CPU per data view (the client decoding, and the simulator building its answers)", ms(fUsed/time.Duration(len(ids))))
			}
			notes = append(notes, fmt.Sprintf("fetching only (no checks, no workbook) the same pool reaches %.2f of its ideal (%d x %s)%s", fRatio, rounds, ms(critFetch), fetchCPU))
			if fRatio >= 0.95 {
				notes = append(notes, "so the pool overlaps the requests as it should and the miss is this machine's CPU")
			}
		} else {
			notes = append(notes, fmt.Sprintf("%d requests (%.1f per data view), at most %d data views in flight",
				st.Requests.CJA(), float64(st.Requests.CJA())/float64(len(ids)), st.MaxDataViewsInFlight))
		}
		row.Note = strings.Join(notes, "; ")
		cfg.progress("   W=%d: wall %s, ideal %s, ratio %.3f", w, r.wall.Round(time.Millisecond), ideal.Round(time.Millisecond), ratio)
		rows = append(rows, row)
	}
	return rows
}

// fetchOnly is a batch function that fetches a data view and does nothing
// else.
func fetchOnly(c *cja.Client) batch.Func {
	return func(ctx context.Context, id string) report.Result {
		start := time.Now()
		_, err := c.FetchDataView(ctx, id)
		res := report.Result{DataViewID: id, Status: report.Success, Duration: time.Since(start)}
		if err != nil {
			res.Status, res.Error = report.Failed, err.Error()
		}
		return res
	}
}

// loadNote mentions the load average when other processes compete for the
// cores.
func loadNote() string {
	if l := loadAverage(); l != "" {
		return " (load average " + l + " when measured: other processes share these cores)"
	}
	return ""
}
