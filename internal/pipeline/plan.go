package pipeline

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/dataviews"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

// MaxWorkers is the most data views a run generates at once, whatever the
// deployment says: the template's Workers parameter allows up to this.
const MaxWorkers = 256

// MaxSourceBytes bounds an uploaded dataviews.txt: 10,000 ids of 40
// characters with comments fit comfortably.
const MaxSourceBytes = 4 << 20

// MaxDataViews is the largest run the state machine is sized for: the Map's
// items array and every other payload stay well under 256 KiB.
const MaxDataViews = 10000

// Request is the execution input, from any trigger: exactly one of
// DataViewIDs, All or Source, and optional run options.
type Request struct {
	DataViewIDs []string `json:"dataViewIds,omitempty"`
	All         bool     `json:"all,omitempty"`
	Source      *Source  `json:"source,omitempty"`
	// Workers defaults to, and cannot exceed, the deployment's Workers.
	Workers         *int     `json:"workers,omitempty"`
	ContinueOnError *bool    `json:"continueOnError,omitempty"`
	Formats         []string `json:"formats,omitempty"`
	SkipValidation  bool     `json:"skipValidation,omitempty"`
	MaxIssues       int      `json:"maxIssues,omitempty"`
}

// PlanInput is the planner's event: the execution input as given, plus the
// execution's name and start time, which the state machine adds from its
// context object.
type PlanInput struct {
	Input         json.RawMessage `json:"input"`
	ExecutionName string          `json:"executionName"`
	StartTime     string          `json:"startTime"`
}

// Plan is the planner's output and the Map's input. Items are indexes into
// the manifest's ids, not the ids, so 10,000 of them fit in 50 KB.
type Plan struct {
	RunID           string `json:"runId"`
	Count           int    `json:"count"`
	Workers         int    `json:"workers"`
	ContinueOnError bool   `json:"continueOnError"`
	Items           []int  `json:"items"`
	Problems        int    `json:"problems"`
	Manifest        string `json:"manifest"`
}

// SourceReader opens an uploaded list of data views.
type SourceReader interface {
	Open(ctx context.Context, src Source) (io.ReadCloser, error)
}

// Lister lists every data view the credentials can see (cja.Client does).
type Lister interface {
	ListDataViews(ctx context.Context) ([]cja.DataViewInfo, error)
}

// Planner turns an execution input into a run: it resolves the data view
// ids, writes runs/<runId>/manifest.json and returns the Map's items.
type Planner struct {
	// Store is rooted at the pipeline bucket.
	Store store.Store
	// Bucket is the pipeline bucket; uploaded lists must be in it.
	Bucket string
	// Sources reads uploaded lists.
	Sources SourceReader
	// Lister is called only for {"all": true}, so other runs need no
	// credentials at planning time.
	Lister func(ctx context.Context) (Lister, error)
	// MaxWorkers is the deployment's Workers: the default and the cap.
	MaxWorkers int
	// ContinueOnError and Formats are the deployment's defaults.
	ContinueOnError bool
	Formats         []string
	Now             func() time.Time
	Log             *slog.Logger
}

// Handle plans one run. Bad input is an InputError, which the state machine
// does not retry: the execution fails at once with the reason.
func (p *Planner) Handle(ctx context.Context, in PlanInput) (Plan, error) {
	log := logger(p.Log)
	req, err := DecodeRequest(in.Input)
	if err != nil {
		return Plan{}, err
	}
	started := clock(p.Now)().UTC()
	if in.StartTime != "" {
		t, err := time.Parse(time.RFC3339Nano, in.StartTime)
		if err != nil {
			return Plan{}, &InputError{Msg: fmt.Sprintf("planner: startTime %q is not an RFC 3339 time", in.StartTime)}
		}
		started = t.UTC()
	}
	runID := in.ExecutionName
	if runID == "" {
		runID = newRunID(started)
	}
	if !validRunID(runID) {
		return Plan{}, &InputError{Msg: fmt.Sprintf("planner: execution name %q cannot be a run id (use at most 80 letters, digits, - or _)", runID)}
	}

	m := &Manifest{RunID: runID, Started: started, SkipValidation: req.SkipValidation, MaxIssues: req.MaxIssues}
	if m.Formats, err = p.formats(req.Formats); err != nil {
		return Plan{}, err
	}
	m.ContinueOnError = p.ContinueOnError
	if req.ContinueOnError != nil {
		m.ContinueOnError = *req.ContinueOnError
	}

	var requested []string
	switch {
	case req.All:
		m.Requested = "all"
		requested, err = p.listAll(ctx)
	case req.Source != nil:
		m.Requested = "source"
		src := *req.Source
		if src.Bucket == "" {
			src.Bucket = p.Bucket
		}
		m.Source = &src
		requested, m.Problems, err = p.readSource(ctx, src)
	default:
		m.Requested = "list"
		requested = req.DataViewIDs
	}
	if err != nil {
		return Plan{}, err
	}
	ids, invalid := dataviews.Normalize(requested)
	for _, bad := range invalid {
		m.Problems = append(m.Problems, Problem{Text: bad, Error: "not a data view id (expected dv_ followed by letters, digits, _ or -)"})
	}
	switch {
	case len(ids) == 0 && m.Requested != "all":
		return Plan{}, &InputError{Msg: "planner: no valid data view ids requested" + problemList(m.Problems)}
	case len(ids) > MaxDataViews:
		return Plan{}, &InputError{Msg: fmt.Sprintf("planner: %d data views requested; one run takes at most %d (split the list)", len(ids), MaxDataViews)}
	}
	m.DataViewIDs = ids
	m.Workers = p.workers(req.Workers, len(ids))

	obj, err := writeJSON(ctx, p.Store, manifestKey(runID), m)
	if err != nil {
		return Plan{}, &TransientError{Msg: "planner: " + err.Error()}
	}
	items := make([]int, len(ids))
	for i := range items {
		items[i] = i
	}
	log.Info("run planned", "runId", runID, "requested", m.Requested, "dataViews", len(ids),
		"problems", len(m.Problems), "workers", m.Workers, "continueOnError", m.ContinueOnError)
	return Plan{
		RunID: runID, Count: len(ids), Workers: m.Workers, ContinueOnError: m.ContinueOnError,
		Items: items, Problems: len(m.Problems), Manifest: obj.Path,
	}, nil
}

// DecodeRequest parses and checks an execution input. Unknown fields are
// errors: a misspelt "dataviewIds" must not quietly become an empty run.
func DecodeRequest(raw json.RawMessage) (Request, error) {
	var req Request
	if len(bytes.TrimSpace(raw)) == 0 {
		return req, &InputError{Msg: `planner: empty input; give {"dataViewIds": ["dv_..."]}, {"all": true} or {"source": {"bucket": "...", "key": "requests/dataviews.txt"}}`}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, &InputError{Msg: fmt.Sprintf(`planner: malformed input: %v (expected {"dataViewIds": [...]}, {"all": true} or {"source": {...}} with optional workers, continueOnError, formats, skipValidation, maxIssues)`, err)}
	}
	n := 0
	if len(req.DataViewIDs) > 0 {
		n++
	}
	if req.All {
		n++
	}
	if req.Source != nil {
		n++
	}
	switch {
	case n == 0:
		return req, &InputError{Msg: `planner: nothing requested: give one of "dataViewIds" (a non-empty list), "all": true or "source"`}
	case n > 1:
		return req, &InputError{Msg: `planner: give only one of "dataViewIds", "all" and "source"`}
	case req.Source != nil && strings.TrimSpace(req.Source.Key) == "":
		return req, &InputError{Msg: `planner: "source" needs a "key", like "requests/dataviews.txt"`}
	case req.Workers != nil && *req.Workers < 1:
		return req, &InputError{Msg: fmt.Sprintf(`planner: "workers" must be at least 1, not %d`, *req.Workers)}
	case req.MaxIssues < 0:
		return req, &InputError{Msg: fmt.Sprintf(`planner: "maxIssues" must be 0 (all) or more, not %d`, req.MaxIssues)}
	}
	return req, nil
}

// workers is the run's concurrency: the request's, else the deployment's,
// never above the deployment's (it sized the Adobe rate limit share) nor
// above the number of data views, and at least 1 (Map reads 0 as unlimited).
func (p *Planner) workers(requested *int, count int) int {
	limit := p.MaxWorkers
	if limit < 1 || limit > MaxWorkers {
		limit = MaxWorkers
	}
	w := limit
	if requested != nil {
		w = min(*requested, limit)
	}
	return max(min(w, count), 1)
}

func (p *Planner) formats(requested []string) ([]string, error) {
	fs := requested
	if len(fs) == 0 {
		fs = p.Formats
	}
	if len(fs) == 0 {
		fs = []string{"excel"}
	}
	out, err := parseFormats(fs)
	if err != nil {
		return nil, &InputError{Msg: "planner: " + err.Error()}
	}
	return out, nil
}

func (p *Planner) listAll(ctx context.Context) ([]string, error) {
	if p.Lister == nil {
		return nil, &ConfigError{Msg: "planner: listing all data views is not configured"}
	}
	l, err := p.Lister(ctx)
	if err != nil {
		return nil, err
	}
	infos, err := l.ListDataViews(ctx)
	if err != nil {
		if cja.Retryable(err) {
			return nil, &TransientError{Msg: "planner: list data views: " + err.Error()}
		}
		return nil, &ConfigError{Msg: "planner: list data views: " + err.Error()}
	}
	ids := make([]string, len(infos))
	for i, info := range infos {
		ids[i] = info.ID
	}
	return ids, nil
}

func (p *Planner) readSource(ctx context.Context, src Source) ([]string, []Problem, error) {
	if p.Bucket != "" && src.Bucket != p.Bucket {
		return nil, nil, &InputError{Msg: fmt.Sprintf("planner: %s is not in the pipeline's bucket; upload the list to s3://%s/%s", src.URI(), p.Bucket, RequestsPrefix)}
	}
	if p.Sources == nil {
		return nil, nil, &ConfigError{Msg: "planner: reading uploaded lists is not configured"}
	}
	rc, err := p.Sources.Open(ctx, src)
	if err != nil {
		return nil, nil, storeError(fmt.Errorf("planner: read %s: %w", src.URI(), err))
	}
	defer rc.Close()
	ids, lineErrs, err := dataviews.ParseList(rc, MaxSourceBytes)
	if err != nil {
		return nil, nil, &InputError{Msg: fmt.Sprintf("planner: read %s: %v", src.URI(), err)}
	}
	return ids, lineProblems(lineErrs), nil
}

// problemList is a short suffix naming the first few problems, for errors.
func problemList(ps []Problem) string {
	if len(ps) == 0 {
		return ""
	}
	var parts []string
	for i, p := range ps {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(ps)-3))
			break
		}
		if p.Line > 0 {
			parts = append(parts, fmt.Sprintf("line %d: %q", p.Line, p.Text))
		} else {
			parts = append(parts, fmt.Sprintf("%q", p.Text))
		}
	}
	return " (invalid: " + strings.Join(parts, "; ") + ")"
}

// newRunID names a run started without an execution name (a direct invoke):
// sortable by time, unique by its random tail.
func newRunID(t time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
