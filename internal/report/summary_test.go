package report

import (
	"strings"
	"testing"
	"time"
)

func TestSummaryTextMatchesTheReferenceLayout(t *testing.T) {
	results := []Result{
		{DataViewID: "dv_12345", Name: "Production Analytics", Status: Success, Duration: 14500 * time.Millisecond},
		{DataViewID: "dv_abc123", Status: Failed, Error: "Data view validation failed"},
		{DataViewID: "dv_c", Status: Cancelled},
		{DataViewID: "dv_d", Status: Skipped},
	}
	s := Summarize(results, 60*time.Second)
	if s.Total != 4 || s.Successful != 1 || s.Failed != 1 || s.Cancelled != 1 || s.NotStarted != 1 || s.OK() {
		t.Fatalf("counts %+v", s)
	}
	want := strings.Join([]string{
		"============================================================",
		"BATCH PROCESSING SUMMARY",
		"============================================================",
		"Total data views: 4",
		"Successful: 1",
		"Failed: 1",
		"Cancelled: 1",
		"Not started: 1",
		"Success rate: 25.0%",
		"Total duration: 60.0s",
		"Average per data view: 15.0s",
		"",
		"Successful Data Views:",
		"  ✓ dv_12345         Production Analytics        14.5s",
		"Failed Data Views:",
		"  ✗ dv_abc123        Data view validation failed",
		"Cancelled Data Views:",
		"  - dv_c             cancelled: the run stopped while it was in flight",
		"Not Started Data Views:",
		"  - dv_d             not started: the run stopped at the first failure (use --continue-on-error to process every data view)",
		"============================================================",
		"Throughput: 4.0 data views per minute",
		"============================================================",
		"",
	}, "\n")
	if got := s.Text(); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

// The batch guide's own figures: 10 data views, 2 of them failed, in 125.3 s.
func TestThroughputCountsEveryDataViewLikeTheReference(t *testing.T) {
	var results []Result
	for i := range 10 {
		st := Success
		if i < 2 {
			st = Failed
		}
		results = append(results, Result{DataViewID: "dv_" + string(rune('a'+i)), Status: st})
	}
	text := Summarize(results, 125300*time.Millisecond).Text()
	for _, want := range []string{"Average per data view: 12.5s\n", "Throughput: 4.8 data views per minute\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}

func TestSummaryAlignsLongIDsAndAccentedNames(t *testing.T) {
	s := Summarize([]Result{
		{DataViewID: "dv_677ea9291244fd082f02dd42", Name: "Données Clients – France", Status: Success},
		{DataViewID: "dv_1", Name: "B", Status: Success},
	}, time.Second)
	var cols []int
	for _, line := range strings.Split(s.Text(), "\n") {
		if strings.HasPrefix(line, "  ✓ ") {
			cols = append(cols, len([]rune(line))-len("0.0s"))
		}
	}
	if len(cols) != 2 || cols[0] != cols[1] {
		t.Fatalf("durations do not line up: %v\n%s", cols, s.Text())
	}
}

func TestUnknownStatusIsCountedAsFailed(t *testing.T) {
	s := Summarize([]Result{{DataViewID: "dv_a", Status: Success}, {DataViewID: "dv_b"}, {DataViewID: "dv_c", Status: "WEIRD", Error: "x"}}, time.Second)
	if s.Failed != 2 || s.Successful+s.Failed+s.Cancelled+s.NotStarted != s.Total {
		t.Fatalf("counts %+v", s)
	}
	text := s.Text()
	for _, id := range []string{"dv_a", "dv_b", "dv_c"} {
		if strings.Count(text, id) != 1 {
			t.Errorf("%s listed %d times:\n%s", id, strings.Count(text, id), text)
		}
	}
	if !strings.Contains(text, `unknown status "WEIRD": x`) {
		t.Errorf("reason missing:\n%s", text)
	}
}
