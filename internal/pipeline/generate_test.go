package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

// sampleFetcher is a real API client talking to the in-memory sample
// organisation.
func sampleFetcher(t *testing.T) cja.Fetcher {
	t.Helper()
	org := sampleorg.New(sampleorg.Options{})
	c := sampleorg.DemoCredentials()
	cl, err := cja.New(cja.Config{OrgID: c.OrgID, ClientID: c.ClientID, Secret: c.Secret, Scopes: c.Scopes,
		IMSURL: sampleorg.DemoIMSURL, CJAURL: sampleorg.DemoCJAURL, HTTPClient: org.Client(), RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// fetcherFunc fakes the API with a function.
type fetcherFunc func(ctx context.Context, id string) (*cja.DataViewData, error)

func (f fetcherFunc) FetchDataView(ctx context.Context, id string) (*cja.DataViewData, error) {
	return f(ctx, id)
}
func (fetcherFunc) ListDataViews(context.Context) ([]cja.DataViewInfo, error) { return nil, nil }

// memStops is RunStops in memory.
type memStops struct {
	mu      sync.Mutex
	stopped map[string]bool
}

func (m *memStops) Stop(_ context.Context, runID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped == nil {
		m.stopped = map[string]bool{}
	}
	m.stopped[runID] = true
	return nil
}

func (m *memStops) Stopped(_ context.Context, runID string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stopped[runID], nil
}

func writeManifest(t *testing.T, s store.Store, m Manifest) {
	t.Helper()
	if m.Started.IsZero() {
		m.Started = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	}
	if m.Workers == 0 {
		m.Workers = 2
	}
	if _, err := writeJSON(context.Background(), s, manifestKey(m.RunID), m); err != nil {
		t.Fatal(err)
	}
}

func record(t *testing.T, s store.Store, runID, id string) (report.Result, bool) {
	t.Helper()
	b, err := s.Get(context.Background(), resultKey(runID, id))
	if err != nil {
		return report.Result{}, false
	}
	var r report.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r, true
}

func idx(i int) *int { return &i }

func TestGenerateSuccess(t *testing.T) {
	s := store.NewMemory()
	writeManifest(t, s, Manifest{RunID: "r1", DataViewIDs: []string{sampleorg.ProductionDataViewID}, Formats: []string{"excel", "json"}})
	var workersSeen int
	g := &Generator{Store: s, OutputPrefix: "sdr/", Fetcher: func(_ context.Context, workers int) (cja.Fetcher, error) {
		workersSeen = workers
		return sampleFetcher(t), nil
	}}
	out, err := g.Handle(context.Background(), GenerateInput{RunID: "r1", Index: idx(0)})
	if err != nil || out.Status != report.Success || out.DataViewID != sampleorg.ProductionDataViewID {
		t.Fatalf("out %+v err %v", out, err)
	}
	if workersSeen != 2 {
		t.Errorf("fetcher asked for %d workers' share, the manifest says 2", workersSeen)
	}
	r, ok := record(t, s, "r1", sampleorg.ProductionDataViewID)
	if !ok || r.Status != report.Success || len(r.Outputs) != 2 {
		t.Fatalf("record %+v", r)
	}
	for _, o := range r.Outputs {
		if !strings.HasPrefix(o.Key, "sdr/2026/05/06/r1/") {
			t.Errorf("output %s is not under the run's dated prefix", o.Key)
		}
	}
}

func TestGeneratePermanentFailureStopsRun(t *testing.T) {
	notFound := &cja.Error{Kind: cja.KindNotFound, Status: 404, Op: "get data view dv_x", Message: "not found"}
	for _, continueOnError := range []bool{false, true} {
		s := store.NewMemory()
		writeManifest(t, s, Manifest{RunID: "r2", DataViewIDs: []string{"dv_x", "dv_y"}, ContinueOnError: continueOnError})
		stops := &memStops{}
		calls := 0
		g := &Generator{Store: s, Stops: stops, Fetcher: func(context.Context, int) (cja.Fetcher, error) {
			return fetcherFunc(func(context.Context, string) (*cja.DataViewData, error) { calls++; return nil, notFound }), nil
		}}
		out, err := g.Handle(context.Background(), GenerateInput{RunID: "r2", Index: idx(0)})
		if err != nil || out.Status != report.Failed {
			t.Fatalf("a missing data view is a FAILED result, not an error: %+v %v", out, err)
		}
		if r, _ := record(t, s, "r2", "dv_x"); r.Status != report.Failed || !strings.Contains(r.Error, "Data view validation failed") || r.Retryable {
			t.Errorf("record %+v", r)
		}
		stopped, _ := stops.Stopped(context.Background(), "r2")
		if stopped == continueOnError {
			t.Errorf("continueOnError=%v: run stopped = %v", continueOnError, stopped)
		}
		// The next data view of a stopped run is skipped without a record or
		// an API call.
		out, err = g.Handle(context.Background(), GenerateInput{RunID: "r2", Index: idx(1)})
		_, wrote := record(t, s, "r2", "dv_y")
		if !continueOnError && (err != nil || out.Status != report.Skipped || wrote || calls != 1) {
			t.Errorf("after the stop: %+v %v, record written %v, %d API calls", out, err, wrote, calls)
		}
		if continueOnError && (out.Status != report.Failed || calls != 2) {
			t.Errorf("continue on error: %+v after %d calls", out, calls)
		}
	}
}

func TestGenerateTransientAndDeadline(t *testing.T) {
	s := store.NewMemory()
	writeManifest(t, s, Manifest{RunID: "r3", DataViewIDs: []string{"dv_x"}})
	throttled := &cja.Error{Kind: cja.KindThrottled, Status: 429, Op: "get metrics of dv_x", Message: "Too many requests"}
	var fetch fetcherFunc
	g := &Generator{Store: s, Stops: &memStops{}, DeadlineMargin: 1500 * time.Millisecond,
		Fetcher: func(context.Context, int) (cja.Fetcher, error) { return fetch, nil }}

	fetch = func(context.Context, string) (*cja.DataViewData, error) { return nil, throttled }
	_, err := g.Handle(context.Background(), GenerateInput{RunID: "r3", Index: idx(0)})
	if !isType[*TransientError](err) || !strings.Contains(err.Error(), "429") {
		t.Errorf("throttled: %T %v, want *TransientError", err, err)
	}
	// The record says in flight until a retry or the failure recorder
	// replaces it.
	if r, _ := record(t, s, "r3", "dv_x"); r.Status != report.Cancelled || r.Error != inFlightReason {
		t.Errorf("record after a transient failure: %+v", r)
	}

	fetch = func(ctx context.Context, _ string) (*cja.DataViewData, error) {
		<-ctx.Done() // a slow API
		return nil, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = g.Handle(ctx, GenerateInput{RunID: "r3", Index: idx(0)})
	if !isType[*DeadlineError](err) {
		t.Errorf("slow API: %T %v, want *DeadlineError", err, err)
	}
	if ctx.Err() != nil {
		t.Error("the generator answered only when the invocation's own deadline had passed")
	}
}

func TestGenerateRecordFailure(t *testing.T) {
	s := store.NewMemory()
	writeManifest(t, s, Manifest{RunID: "r4", DataViewIDs: []string{"dv_x"}})
	started := time.Date(2026, 5, 6, 7, 9, 0, 0, time.UTC)
	if _, err := writeJSON(context.Background(), s, resultKey("r4", "dv_x"), report.Result{DataViewID: "dv_x", Status: report.Cancelled, Started: started}); err != nil {
		t.Fatal(err)
	}
	stops := &memStops{}
	g := &Generator{Store: s, Stops: stops, Fetcher: func(context.Context, int) (cja.Fetcher, error) {
		t.Fatal("recording a failure must not call the API")
		return nil, nil
	}}
	out, err := g.Handle(context.Background(), GenerateInput{RunID: "r4", Index: idx(0), Failure: &TaskFailure{
		Error: "TransientError",
		Cause: `{"errorMessage":"generator: dv_x: HTTP 503: backend timeout","errorType":"TransientError","stackTrace":[]}`,
	}})
	if err != nil || out.Status != report.Failed {
		t.Fatalf("%+v %v", out, err)
	}
	r, _ := record(t, s, "r4", "dv_x")
	if r.Status != report.Failed || r.Error != "generator: dv_x: HTTP 503: backend timeout (gave up after retries)" || !r.Retryable || !r.Started.Equal(started) {
		t.Errorf("record %+v", r)
	}
	if stopped, _ := stops.Stopped(context.Background(), "r4"); !stopped {
		t.Error("a recorded failure did not stop a run without continue-on-error")
	}
}

// failingPuts is a store whose uploads of keys under prefix fail, as S3
// does with SlowDown or 500; the renderer's own writes still run.
type failingPuts struct {
	store.Store
	prefix string
}

func (f failingPuts) Put(ctx context.Context, key string, write func(io.Writer) error) (store.Object, error) {
	if !strings.HasPrefix(key, f.prefix) {
		return f.Store.Put(ctx, key, write)
	}
	if err := write(io.Discard); err != nil {
		return store.Object{}, err
	}
	return store.Object{}, errors.New("upload s3://b/" + key + ": api error SlowDown: Please reduce your request rate.")
}

// An SDR that S3 will not store is retried by the state machine, not
// recorded as a failure of the data view; a result record that cannot be
// written is retried too. A renderer failure stays a FAILED record.
func TestGenerateStoreFailureIsTransient(t *testing.T) {
	mem := store.NewMemory()
	writeManifest(t, mem, Manifest{RunID: "r6", DataViewIDs: []string{sampleorg.ProductionDataViewID}, Formats: []string{"excel", "json"}})
	fetch := func(context.Context, int) (cja.Fetcher, error) { return sampleFetcher(t), nil }

	g := &Generator{Store: failingPuts{mem, "sdr/"}, OutputPrefix: "sdr/", Stops: &memStops{}, Fetcher: fetch}
	_, err := g.Handle(context.Background(), GenerateInput{RunID: "r6", Index: idx(0)})
	if !isType[*TransientError](err) || !strings.Contains(err.Error(), "SlowDown") || !strings.Contains(err.Error(), sampleorg.ProductionDataViewID) {
		t.Errorf("SDR upload refused: %T %v, want a TransientError naming the data view and the S3 error", err, err)
	}
	if r, _ := record(t, mem, "r6", sampleorg.ProductionDataViewID); r.Status != report.Cancelled || r.Error != inFlightReason {
		t.Errorf("record after a refused upload: %+v, want in flight until a retry or the failure recorder", r)
	}
	if keys, _ := mem.List(context.Background(), "sdr/"); len(keys) != 0 {
		t.Errorf("objects left after a refused upload: %v", keys)
	}

	g = &Generator{Store: failingPuts{mem, "runs/r6/results/"}, OutputPrefix: "sdr/", Fetcher: fetch}
	if _, err := g.Handle(context.Background(), GenerateInput{RunID: "r6", Index: idx(0)}); !isType[*TransientError](err) {
		t.Errorf("result record refused: %T %v, want a TransientError", err, err)
	}

	// A sheet too wide for Excel is the data view's problem: FAILED, no retry.
	wide := &cja.DataViewData{DataView: cja.DataView{"id": "dv_w", "name": "Wide"}, Metrics: []cja.Component{{"id": "m"}}}
	for i := range 17000 {
		wide.Metrics[0][fmt.Sprintf("f%05d", i)] = "x"
	}
	writeManifest(t, mem, Manifest{RunID: "r7", DataViewIDs: []string{"dv_w"}, SkipValidation: true})
	g = &Generator{Store: mem, OutputPrefix: "sdr/", Fetcher: func(context.Context, int) (cja.Fetcher, error) {
		return fetcherFunc(func(context.Context, string) (*cja.DataViewData, error) { return wide, nil }), nil
	}}
	out, err := g.Handle(context.Background(), GenerateInput{RunID: "r7", Index: idx(0)})
	if err != nil || out.Status != report.Failed {
		t.Errorf("too wide for a workbook: %+v %v, want a FAILED record", out, err)
	}
}

func TestFailureMessage(t *testing.T) {
	for _, tc := range []struct {
		f    TaskFailure
		want string
	}{
		{TaskFailure{"TransientError", "TransientError: generator: dv_x: 429"}, "generator: dv_x: 429 (gave up after retries)"},
		{TaskFailure{"DeadlineError", `{"errorMessage":"generator: stopped 5s before the Lambda deadline while generating dv_x; it will be retried","errorType":"DeadlineError"}`},
			"generator: stopped 5s before the Lambda deadline while generating dv_x (gave up after retries: run it again with fewer workers, so each gets a larger share of the rate limit, or document very large data views with the cja-sdr command)"},
		{TaskFailure{"TransientError", ""}, "TransientError (gave up after retries)"},
		{TaskFailure{"States.Timeout", ""}, "timed out: the generator did not answer in time (run it again; if it keeps timing out, raise the generator's Timeout)"},
		{TaskFailure{"Lambda.ServiceException", ""},
			"the generator failed unexpectedly (Lambda.ServiceException); run it again, and if it keeps failing, check the generator's log for this data view"},
		{TaskFailure{"Runtime.ExitError", "Runtime.ExitError: RequestId: 1 Error: Runtime exited with error: exit status 2"},
			"the generator failed unexpectedly (Runtime.ExitError: RequestId: 1 Error: Runtime exited with error: exit status 2); run it again, and if it keeps failing, check the generator's log for this data view"},
		{TaskFailure{"ConfigError", `{"errorMessage":"configuration: TABLE is not set","errorType":"ConfigError"}`}, "configuration: TABLE is not set"},
	} {
		if got := FailureMessage(tc.f); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.f, got, tc.want)
		}
	}
}

func TestGenerateBadInput(t *testing.T) {
	s := store.NewMemory()
	writeManifest(t, s, Manifest{RunID: "r5", DataViewIDs: []string{"dv_x"}})
	g := &Generator{Store: s}
	for _, in := range []GenerateInput{
		{RunID: "r5"},
		{RunID: "../r5", Index: idx(0)},
		{RunID: "r5", Index: idx(1)},
		{RunID: "r5", Index: idx(-1)},
		{RunID: "no-such-run", Index: idx(0)},
	} {
		if _, err := g.Handle(context.Background(), in); !isType[*InputError](err) {
			t.Errorf("%+v: %T %v, want *InputError", in, err, err)
		}
	}
}
