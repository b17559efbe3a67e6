package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

func putRaw(t *testing.T, s store.Store, key, body string) {
	t.Helper()
	if _, err := s.Put(context.Background(), key, func(w io.Writer) error {
		_, err := io.WriteString(w, body)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func TestSummaryListsEveryDataViewOnce(t *testing.T) {
	s := store.NewMemory()
	started := time.Date(2026, 5, 6, 7, 0, 0, 0, time.UTC)
	writeManifest(t, s, Manifest{RunID: "r1", Started: started, Requested: "source",
		Source:      &Source{Bucket: "bkt", Key: "requests/a.txt"},
		DataViewIDs: []string{"dv_ok", "dv_bad", "dv_gone", "dv_broken"},
		Problems:    []Problem{{Line: 3, Text: "oops", Error: "not a data view id"}}})
	ok := report.Result{DataViewID: "dv_ok", Name: `=cmd|' /C calc'!A0`, Status: report.Success, CacheHit: true, Metrics: 3,
		Outputs: []store.Object{{Key: "sdr/2026/05/06/r1/ok.xlsx", Path: "s3://bkt/sdr/2026/05/06/r1/ok.xlsx"}}}
	for _, r := range []report.Result{ok, {DataViewID: "dv_bad", Status: report.Failed, Error: "HTTP 404"},
		// A record of a data view the run never asked for is ignored.
		{DataViewID: "dv_stray", Status: report.Success}} {
		if _, err := writeJSON(context.Background(), s, resultKey("r1", r.DataViewID), r); err != nil {
			t.Fatal(err)
		}
	}
	putRaw(t, s, resultKey("r1", "dv_broken"), "{not json")

	sum := &Summariser{Store: s, Bucket: "bkt", Readers: 2, Now: func() time.Time { return started.Add(90 * time.Second) }}
	out, err := sum.Handle(context.Background(), SummaryInput{RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Total != 4 || out.Successful != 1 || out.Failed != 2 || out.NotStarted != 1 || out.CacheHits != 1 || out.OK || out.Problems != 1 {
		t.Errorf("output %+v", out)
	}
	if len(out.Files) != 3 || !strings.Contains(out.Message, "1 of 4 data views succeeded") || !strings.Contains(out.Message, out.Files[1]) {
		t.Errorf("message %q files %v", out.Message, out.Files)
	}

	b, _ := s.Get(context.Background(), SummaryKey("r1", "json"))
	var rs RunSummary
	if err := json.Unmarshal(b, &rs); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range rs.Results {
		order = append(order, r.DataViewID+":"+string(r.Status))
	}
	if got := strings.Join(order, " "); got != "dv_ok:SUCCESS dv_bad:FAILED dv_gone:NOT_STARTED dv_broken:FAILED" {
		t.Errorf("results %s", got)
	}
	if rs.Duration != 90*time.Second || rs.Source.Key != "requests/a.txt" {
		t.Errorf("summary %+v", rs)
	}

	txt, _ := s.Get(context.Background(), SummaryKey("r1", "txt"))
	if !strings.HasPrefix(string(txt), rs.Summary.Text()) || !strings.Contains(string(txt), `line 3: "oops": not a data view id`) {
		t.Errorf("summary.txt:\n%s", txt)
	}

	x, _ := s.Get(context.Background(), SummaryKey("r1", "xlsx"))
	f, err := excelize.OpenReader(bytes.NewReader(x))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, ",") != "Run,Data Views,Invalid Entries" {
		t.Errorf("sheets %v", got)
	}
	// A name from the API that looks like a formula stays text.
	if formula, _ := f.GetCellFormula("Data Views", "B2"); formula != "" {
		t.Errorf("B2 became the formula %q", formula)
	}
	if v, _ := f.GetCellValue("Data Views", "B2"); v != ok.Name {
		t.Errorf("B2 = %q", v)
	}
	if has, link, _ := f.GetCellHyperLink("Data Views", "J2"); !has || !strings.Contains(link, "bkt") || !strings.Contains(link, "ok.xlsx") {
		t.Errorf("J2 link %v %q", has, link)
	}
}

func TestSummaryErrors(t *testing.T) {
	sum := &Summariser{Store: store.NewMemory()}
	if _, err := sum.Handle(context.Background(), SummaryInput{RunID: "a/b"}); !isType[*InputError](err) {
		t.Errorf("bad run id: %v", err)
	}
	if _, err := sum.Handle(context.Background(), SummaryInput{RunID: "missing"}); !isType[*InputError](err) {
		t.Errorf("no manifest: %T %v", err, err)
	}
}
