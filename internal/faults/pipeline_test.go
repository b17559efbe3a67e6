package faults

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/pipeline"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

// planRun plans a run of ids in st as the planner Lambda does.
func planRun(t *testing.T, st store.Store, runID string, ids ...string) pipeline.Plan {
	t.Helper()
	in, _ := json.Marshal(map[string]any{"dataViewIds": ids, "continueOnError": true})
	p := &pipeline.Planner{Store: st, Bucket: "cja-sdr-faults", MaxWorkers: 4}
	plan, err := p.Handle(context.Background(), pipeline.PlanInput{Input: in, ExecutionName: runID, StartTime: "2026-01-31T02:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestPipelineGeneratorDeadline is the generator Lambda meeting a CJA
// response that hangs until its deadline: it gives up DeadlineMargin before
// the deadline with a DeadlineError (which the state machine retries), leaves
// no SDR file, and its result record says the data view is still in flight;
// the retry then succeeds and replaces the record.
func TestPipelineGeneratorDeadline(t *testing.T) {
	scenario(t, "lambda-deadline")
	st := store.NewMemory()
	plan := planRun(t, st, "faults-deadline", dvProd, dvFrance)

	var hang atomic.Bool
	hang.Store(true)
	sim := newSim(sampleorg.Options{Faults: sampleorg.OnPath(dvFrance+"/dimensions", func(*http.Request, int64) *sampleorg.Fault {
		if hang.Load() {
			return &sampleorg.FaultHang
		}
		return nil
	})})
	client := engineClient(t, sim)
	log, logs := logBuffer()
	g := &pipeline.Generator{
		Store: st, OutputPrefix: "sdr/", DeadlineMargin: time.Second, Log: log,
		Fetcher: func(context.Context, int) (cja.Fetcher, error) { return client, nil },
	}
	idx := func(i int) *int { return &i }

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	out, err := g.Handle(ctx, pipeline.GenerateInput{RunID: plan.RunID, Index: idx(1)})
	var dl *pipeline.DeadlineError
	if !errors.As(err, &dl) || !strings.Contains(err.Error(), dvFrance) || !strings.Contains(err.Error(), "retried") {
		t.Fatalf("hanging API: %+v %T %v, want a DeadlineError naming the data view", out, err, err)
	}
	if ctx.Err() != nil {
		t.Error("the generator answered only after the Lambda deadline")
	}
	rec := readRecord(t, st, plan.RunID, dvFrance)
	if rec.Status != report.Cancelled || !strings.Contains(rec.Error, "in flight") {
		t.Errorf("record after the deadline: %+v", rec)
	}
	sdrKeys, _ := st.List(context.Background(), "sdr/")
	if len(sdrKeys) != 0 {
		t.Errorf("SDR files left after the deadline: %v", sdrKeys)
	}

	// The state machine's retry, with the API healthy again.
	hang.Store(false)
	for i, id := range []string{dvProd, dvFrance} {
		out, err := g.Handle(context.Background(), pipeline.GenerateInput{RunID: plan.RunID, Index: idx(i)})
		if err != nil || out.Status != report.Success || out.DataViewID != id {
			t.Fatalf("%s: %+v %v", id, out, err)
		}
	}
	byID := map[string]report.Result{}
	for _, id := range []string{dvProd, dvFrance} {
		byID[id] = readRecord(t, st, plan.RunID, id)
	}
	checkResults(t, []string{dvProd, dvFrance}, []report.Result{byID[dvProd], byID[dvFrance]})
	checkStore(t, prefixed{st, "sdr/"}, "", byID)
	checkNoSecrets(t, "", logs.String())
}

func readRecord(t *testing.T, st store.Store, runID, id string) report.Result {
	t.Helper()
	b, err := st.Get(context.Background(), pipeline.ResultKey(runID, id))
	if err != nil {
		t.Fatalf("record of %s: %v", id, err)
	}
	var r report.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// prefixed is the part of a store under prefix, as a store.
type prefixed struct {
	store.Store
	prefix string
}

func (p prefixed) List(ctx context.Context, prefix string) ([]string, error) {
	keys, err := p.Store.List(ctx, p.prefix+prefix)
	for i := range keys {
		keys[i] = strings.TrimPrefix(keys[i], p.prefix)
	}
	return keys, err
}

func (p prefixed) Get(ctx context.Context, key string) ([]byte, error) {
	return p.Store.Get(ctx, p.prefix+key)
}
