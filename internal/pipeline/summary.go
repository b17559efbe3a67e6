package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

// SummaryInput is the summary function's event.
type SummaryInput struct {
	RunID string `json:"runId"`
}

// SummaryOutput goes back into the state machine's state: counts only, and
// where the summary files are, so it stays small whatever the run's size.
type SummaryOutput struct {
	RunID      string `json:"runId"`
	Total      int    `json:"total"`
	Successful int    `json:"successful"`
	Failed     int    `json:"failed"`
	Cancelled  int    `json:"cancelled"`
	NotStarted int    `json:"notStarted"`
	CacheHits  int    `json:"cacheHits"`
	Problems   int    `json:"problems"`
	// OK is true when every requested data view succeeded.
	OK bool `json:"ok"`
	// Message is one line for people (and the Fail state's cause).
	Message string `json:"message"`
	// Files are the s3:// URIs of summary.json, summary.txt, summary.xlsx.
	Files []string `json:"files"`
}

// RunSummary is summary.json: the run's manifest facts, the invalid entries
// it skipped, and report.Summary with one result per requested data view.
type RunSummary struct {
	RunID           string    `json:"runId"`
	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished"`
	Requested       string    `json:"requested"`
	Source          *Source   `json:"source,omitempty"`
	Workers         int       `json:"workers"`
	ContinueOnError bool      `json:"continueOnError"`
	Formats         []string  `json:"formats"`
	Problems        []Problem `json:"problems"`
	report.Summary
}

// Summariser closes a run: it reads every result record and writes
// summary.json, summary.txt (the command's summary block) and summary.xlsx
// (an index workbook linking every SDR).
type Summariser struct {
	// Store is rooted at the bucket.
	Store store.Store
	// Bucket names the bucket in links; it may be empty in tests.
	Bucket string
	Now    func() time.Time
	Log    *slog.Logger
	// Readers is how many result records are read at once (default 32):
	// 10,000 sequential GETs would take minutes.
	Readers int
}

// notStartedReason explains a data view with no record at all.
const notStartedReason = "not started: the run stopped at the first failure (set continueOnError to process every data view)"

// Handle writes the run's summary files and returns its counts. Every data
// view of the manifest appears exactly once: with its record's status, or
// NOT_STARTED when the run stopped before it began.
func (s *Summariser) Handle(ctx context.Context, in SummaryInput) (SummaryOutput, error) {
	if !validRunID(in.RunID) {
		return SummaryOutput{}, &InputError{Msg: fmt.Sprintf("summary: invalid runId %q", in.RunID)}
	}
	log := logger(s.Log).With("runId", in.RunID)
	m, err := readManifest(ctx, s.Store, in.RunID)
	if err != nil {
		return SummaryOutput{}, storeError(err)
	}
	records, err := s.readResults(ctx, m)
	if err != nil {
		return SummaryOutput{}, storeError(err)
	}
	results := make([]report.Result, 0, len(m.DataViewIDs))
	for _, id := range m.DataViewIDs {
		r, ok := records[id]
		if !ok {
			r = report.Result{DataViewID: id, Status: report.Skipped, Error: notStartedReason}
		}
		results = append(results, r)
	}
	finished := clock(s.Now)()
	sum := RunSummary{
		RunID: m.RunID, Started: m.Started, Finished: finished,
		Requested: m.Requested, Source: m.Source, Workers: m.Workers,
		ContinueOnError: m.ContinueOnError, Formats: m.Formats,
		Problems: m.Problems,
		Summary:  report.Summarize(results, finished.Sub(m.Started)),
	}
	if sum.Problems == nil {
		sum.Problems = []Problem{}
	}

	var files []string
	put := func(ext string, write func(io.Writer) error) error {
		obj, err := s.Store.Put(ctx, SummaryKey(m.RunID, ext), write)
		if err != nil {
			return storeError(err)
		}
		files = append(files, obj.Path)
		return nil
	}
	if err := put("json", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}); err != nil {
		return SummaryOutput{}, err
	}
	if err := put("txt", func(w io.Writer) error {
		_, err := io.WriteString(w, SummaryText(sum))
		return err
	}); err != nil {
		return SummaryOutput{}, err
	}
	if err := put("xlsx", func(w io.Writer) error { return writeIndex(w, sum, s.Bucket) }); err != nil {
		return SummaryOutput{}, err
	}

	out := SummaryOutput{
		RunID: m.RunID, Total: sum.Total, Successful: sum.Successful, Failed: sum.Failed,
		Cancelled: sum.Cancelled, NotStarted: sum.NotStarted, CacheHits: sum.CacheHits,
		Problems: len(sum.Problems), OK: sum.OK(), Files: files,
	}
	out.Message = fmt.Sprintf("run %s: %d of %d data views succeeded, %d failed, %d cancelled, %d not started",
		m.RunID, sum.Successful, sum.Total, sum.Failed, sum.Cancelled, sum.NotStarted)
	if len(sum.Problems) > 0 {
		out.Message += fmt.Sprintf(", %d invalid entries skipped", len(sum.Problems))
	}
	if len(files) > 1 {
		out.Message += "; see " + files[1]
	}
	log.Info("run summarised", "total", out.Total, "successful", out.Successful, "failed", out.Failed,
		"cancelled", out.Cancelled, "notStarted", out.NotStarted, "cacheHits", out.CacheHits)
	return out, nil
}

// SummaryText is summary.txt: the command's summary block, then the entries
// that were not data view ids, so an upload's typos are easy to find.
func SummaryText(sum RunSummary) string {
	var b strings.Builder
	b.WriteString(sum.Summary.Text())
	if len(sum.Problems) > 0 {
		what := "the input"
		if sum.Source != nil {
			what = sum.Source.URI()
		}
		fmt.Fprintf(&b, "\nInvalid entries in %s (skipped):\n", what)
		for _, p := range sum.Problems {
			if p.Line > 0 {
				fmt.Fprintf(&b, "  line %d: %q: %s\n", p.Line, p.Text, p.Error)
			} else {
				fmt.Fprintf(&b, "  %q: %s\n", p.Text, p.Error)
			}
		}
	}
	return b.String()
}

// readResults reads the result records of the manifest's data views, several
// at a time. Records of ids outside the manifest are ignored, so a stray file
// can neither add nor duplicate an entry.
func (s *Summariser) readResults(ctx context.Context, m *Manifest) (map[string]report.Result, error) {
	keys, err := s.Store.List(ctx, resultsPrefix(m.RunID))
	if err != nil {
		return nil, err
	}
	wanted := make(map[string]bool, len(m.DataViewIDs))
	for _, id := range m.DataViewIDs {
		wanted[id] = true
	}
	readers := s.Readers
	if readers <= 0 {
		readers = 32
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
		out      = make(map[string]report.Result, len(keys))
		sem      = make(chan struct{}, readers)
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, key := range keys {
		id := strings.TrimSuffix(strings.TrimPrefix(key, resultsPrefix(m.RunID)), ".json")
		if !wanted[id] || !strings.HasSuffix(key, ".json") {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r, err := s.readResult(ctx, key, id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			out[id] = r
		}()
	}
	wg.Wait()
	return out, firstErr
}

func (s *Summariser) readResult(ctx context.Context, key, id string) (report.Result, error) {
	b, err := s.Store.Get(ctx, key)
	if errors.Is(err, store.ErrNotExist) {
		// Listed then gone (a lifecycle rule, a person): the data view has no
		// record, which is the truth for this summary.
		return report.Result{DataViewID: id, Status: report.Skipped, Error: notStartedReason}, nil
	}
	if err != nil {
		return report.Result{}, err
	}
	var r report.Result
	if err := json.Unmarshal(b, &r); err != nil || r.DataViewID != id {
		// A broken record must not hide the data view: report it as failed.
		return report.Result{DataViewID: id, Status: report.Failed, Error: "unreadable result record " + key}, nil
	}
	return r, nil
}

// storeError marks a bucket failure as transient (the state machine retries
// it) unless the object is simply missing, which no retry will fix.
func storeError(err error) error {
	if errors.Is(err, store.ErrNotExist) {
		return &InputError{Msg: err.Error()}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &DeadlineError{Msg: err.Error()}
	}
	return &TransientError{Msg: err.Error()}
}
