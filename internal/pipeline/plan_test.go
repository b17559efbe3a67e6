package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

func isType[T error](err error) bool {
	_, ok := err.(T)
	return ok
}

func TestDecodeRequest(t *testing.T) {
	for _, tc := range []struct {
		in, wantErr string
	}{
		{``, "empty input"},
		{`{}`, "nothing requested"},
		{`{"dataViewIds": []}`, "nothing requested"},
		{`{"all": false}`, "nothing requested"},
		{`{"dataViews": ["dv_1"]}`, `unknown field "dataViews"`},
		{`{"all": true, "dataViewIds": ["dv_1"]}`, "only one of"},
		{`{"source": {"bucket": "b"}}`, `needs a "key"`},
		{`{"all": true, "workers": 0}`, `"workers" must be at least 1`},
		{`{"all": true, "maxIssues": -1}`, `"maxIssues"`},
		{`[1]`, "malformed input"},
		{`{"all": "yes"}`, "malformed input"},
		{`{"all": true}`, ""},
		{`{"dataViewIds": ["dv_1"], "workers": 9, "continueOnError": true, "formats": ["json"], "skipValidation": true, "maxIssues": 3}`, ""},
		{`{"source": {"bucket": "b", "key": "requests/x.txt", "versionId": "v1"}}`, ""},
	} {
		_, err := DecodeRequest(json.RawMessage(tc.in))
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err %v, want %q", tc.in, err, tc.wantErr)
		case err != nil && !isType[*InputError](err):
			t.Errorf("%s: %T, want *InputError (not retried)", tc.in, err)
		}
	}
}

func newPlanner(s store.Store) *Planner {
	return &Planner{Store: s, Bucket: "bkt", MaxWorkers: 4, Formats: []string{"excel"},
		Now: func() time.Time { return time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC) }}
}

func plan(t *testing.T, p *Planner, name, input string) (Plan, *Manifest) {
	t.Helper()
	got, err := p.Handle(context.Background(), PlanInput{Input: json.RawMessage(input), ExecutionName: name})
	if err != nil {
		t.Fatalf("%s: %v", input, err)
	}
	m, err := readManifest(context.Background(), p.Store, got.RunID)
	if err != nil {
		t.Fatal(err)
	}
	return got, m
}

func TestPlanWorkersAndOptions(t *testing.T) {
	p := newPlanner(store.NewMemory())
	ids := `["dv_a", "dv_b", "dv_c", "dv_d", "dv_e", "dv_f"]`
	for _, tc := range []struct {
		input string
		want  int
	}{
		{`{"dataViewIds": %s}`, 4},
		{`{"dataViewIds": %s, "workers": 2}`, 2},
		{`{"dataViewIds": %s, "workers": 300}`, 4},
		{`{"dataViewIds": ["dv_a", "dv_b"], "workers": 3}`, 2}, // never more than the data views
	} {
		in := strings.ReplaceAll(tc.input, "%s", ids)
		got, m := plan(t, p, "run-w", in)
		if got.Workers != tc.want || m.Workers != tc.want {
			t.Errorf("%s: workers %d (manifest %d), want %d", in, got.Workers, m.Workers, tc.want)
		}
		if len(got.Items) != got.Count || got.Items[got.Count-1] != got.Count-1 {
			t.Errorf("%s: items %v for %d data views", in, got.Items, got.Count)
		}
	}

	got, m := plan(t, p, "run-opts", `{"dataViewIds": ["dv_a"], "continueOnError": true, "formats": ["xlsx", "md"], "skipValidation": true, "maxIssues": 5}`)
	if !got.ContinueOnError || !m.ContinueOnError || !m.SkipValidation || m.MaxIssues != 5 || strings.Join(m.Formats, ",") != "excel,markdown" {
		t.Errorf("options not in the manifest: %+v", m)
	}
	if got.Manifest != "mem://runs/run-opts/manifest.json" || m.Requested != "list" {
		t.Errorf("plan %+v manifest %+v", got, m)
	}
	p.ContinueOnError = true
	if _, m := plan(t, p, "run-default", `{"dataViewIds": ["dv_a"]}`); !m.ContinueOnError || strings.Join(m.Formats, ",") != "excel" {
		t.Errorf("deployment defaults not applied: %+v", m)
	}
	if _, err := p.Handle(context.Background(), PlanInput{Input: json.RawMessage(`{"dataViewIds": ["dv_a"], "formats": ["pdf"]}`)}); !isType[*InputError](err) {
		t.Errorf("unknown format: %v", err)
	}
}

func TestPlanRunIDAndDate(t *testing.T) {
	p := newPlanner(store.NewMemory())
	got, err := p.Handle(context.Background(), PlanInput{Input: json.RawMessage(`{"dataViewIds": ["dv_a"]}`),
		ExecutionName: "nightly-42", StartTime: "2026-12-31T23:59:59.500Z"})
	if err != nil || got.RunID != "nightly-42" {
		t.Fatalf("plan %+v, %v", got, err)
	}
	m, _ := readManifest(context.Background(), p.Store, "nightly-42")
	if want := time.Date(2026, 12, 31, 23, 59, 59, 5e8, time.UTC); !m.Started.Equal(want) {
		t.Errorf("started %v, want the execution's start %v", m.Started, want)
	}
	if got := SDRPrefix("sdr/", m.Started, m.RunID); got != "sdr/2026/12/31/nightly-42/" {
		t.Errorf("SDR prefix %q", got)
	}
	if got := SDRPrefix("", m.Started, m.RunID); got != "2026/12/31/nightly-42/" {
		t.Errorf("SDR prefix without output prefix %q", got)
	}

	// A direct invoke has no execution name: a sortable, unique one is made.
	got, err = p.Handle(context.Background(), PlanInput{Input: json.RawMessage(`{"dataViewIds": ["dv_a"]}`)})
	if err != nil || !validRunID(got.RunID) || !strings.HasPrefix(got.RunID, "20260309T233000Z-") {
		t.Errorf("generated run id %q, %v", got.RunID, err)
	}
	for _, bad := range []PlanInput{
		{Input: json.RawMessage(`{"all": true}`), ExecutionName: "has space"},
		{Input: json.RawMessage(`{"all": true}`), ExecutionName: "../up"},
		{Input: json.RawMessage(`{"all": true}`), ExecutionName: "ok", StartTime: "yesterday"},
	} {
		if _, err := p.Handle(context.Background(), bad); !isType[*InputError](err) {
			t.Errorf("%+v: err %v, want InputError", bad, err)
		}
	}
}

func TestPlanInvalidAndTooMany(t *testing.T) {
	p := newPlanner(store.NewMemory())
	got, m := plan(t, p, "run-bad", `{"dataViewIds": ["dv_a", "nope", "dv_a", " dv_b "]}`)
	if got.Count != 2 || len(m.Problems) != 1 || m.Problems[0].Text != "nope" || got.Problems != 1 {
		t.Errorf("plan %+v problems %+v", got, m.Problems)
	}
	_, err := p.Handle(context.Background(), PlanInput{Input: json.RawMessage(`{"dataViewIds": ["x", "y"]}`)})
	if !isType[*InputError](err) || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("only invalid ids: %v", err)
	}
	ids := make([]string, MaxDataViews+1)
	for i := range ids {
		ids[i] = fmt.Sprintf("dv_%d", i)
	}
	b, _ := json.Marshal(map[string]any{"dataViewIds": ids})
	if _, err := p.Handle(context.Background(), PlanInput{Input: b}); !isType[*InputError](err) {
		t.Errorf("%d data views: %v", len(ids), err)
	}
}

// The largest run's plan must fit a state payload (256 KiB) with room.
func TestPlanOfLargestRunIsSmall(t *testing.T) {
	p := newPlanner(store.NewMemory())
	ids := make([]string, MaxDataViews)
	for i := range ids {
		ids[i] = fmt.Sprintf("dv_%024x", i)
	}
	b, _ := json.Marshal(map[string]any{"dataViewIds": ids})
	got, err := p.Handle(context.Background(), PlanInput{Input: b, ExecutionName: "big"})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(got)
	if len(out) > 100<<10 {
		t.Errorf("plan of %d data views is %d bytes", MaxDataViews, len(out))
	}
}

type sources map[string]string

func (s sources) Open(_ context.Context, src Source) (io.ReadCloser, error) {
	body, ok := s[src.Bucket+"/"+src.Key+"@"+src.VersionID]
	if !ok {
		return nil, store.ErrNotExist
	}
	return io.NopCloser(strings.NewReader(body)), nil
}

func TestPlanSource(t *testing.T) {
	p := newPlanner(store.NewMemory())
	p.Sources = sources{"bkt/requests/a.txt@v2": "# ids\n\ndv_a\n  dv_b  # note\nbad line\ndv_a\n"}
	got, m := plan(t, p, "run-src", `{"source": {"key": "requests/a.txt", "versionId": "v2"}}`)
	if got.Count != 2 || m.Requested != "source" || m.Source.URI() != "s3://bkt/requests/a.txt" {
		t.Errorf("plan %+v manifest %+v", got, m)
	}
	if len(m.Problems) != 1 || m.Problems[0].Line != 5 || m.Problems[0].Text != "bad line" {
		t.Errorf("problems %+v, want line 5", m.Problems)
	}
	for in, want := range map[string]string{
		`{"source": {"bucket": "other", "key": "requests/a.txt"}}`: "not in the pipeline's bucket",
		`{"source": {"key": "requests/missing.txt"}}`:              "missing.txt",
	} {
		_, err := p.Handle(context.Background(), PlanInput{Input: json.RawMessage(in)})
		if !isType[*InputError](err) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", in, err)
		}
	}
}

type lister struct {
	infos []cja.DataViewInfo
	err   error
}

func (l lister) ListDataViews(context.Context) ([]cja.DataViewInfo, error) { return l.infos, l.err }

func TestPlanAll(t *testing.T) {
	p := newPlanner(store.NewMemory())
	var l lister
	p.Lister = func(context.Context) (Lister, error) { return l, nil }
	l.infos = []cja.DataViewInfo{{ID: "dv_a"}, {ID: "dv_b"}}
	if got, m := plan(t, p, "run-all", `{"all": true}`); got.Count != 2 || m.Requested != "all" {
		t.Errorf("plan %+v", got)
	}
	// An organisation without data views is an empty run, not an error.
	l.infos = nil
	if got, _ := plan(t, p, "run-none", `{"all": true}`); got.Count != 0 || got.Workers != 1 {
		t.Errorf("empty organisation: %+v", got)
	}
	l.err = &cja.Error{Kind: cja.KindThrottled, Op: "list data views", Message: "Too many requests", Status: 429}
	if _, err := p.Handle(context.Background(), PlanInput{Input: json.RawMessage(`{"all": true}`)}); !isType[*TransientError](err) {
		t.Errorf("throttled listing: %T %v", err, err)
	}
	l.err = &cja.Error{Kind: cja.KindUnauthorized, Op: "get token", Message: "invalid_client"}
	if _, err := p.Handle(context.Background(), PlanInput{Input: json.RawMessage(`{"all": true}`)}); !isType[*ConfigError](err) {
		t.Errorf("rejected credentials: %T %v", err, err)
	}
	p.Lister = func(context.Context) (Lister, error) { return nil, &ConfigError{Msg: "no secret"} }
	if _, err := p.Handle(context.Background(), PlanInput{Input: json.RawMessage(`{"all": true}`)}); !errors.Is(err, err) || !isType[*ConfigError](err) {
		t.Errorf("lister failure: %v", err)
	}
}
