package bench

import (
	"bytes"
	"context"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

// TestSmoke runs every section in its smallest configuration. It asserts the
// table's structure only, never a timing: the figures of a smoke run on a
// busy machine mean nothing, and the bench is a program, not a test.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole bench in miniature (a few seconds)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := Run(ctx, SmokeConfig())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	cfg := SmokeConfig()
	want := map[string]int{ // rows per section
		"a": 1 + len(cfg.FanoutWorkers),
		"b": 2 + len(cfg.MapWorkers) + 1,
		"c": 2,
		"d": len(cfg.CPUSizes),
		"e": 2,
		"f": 2,
	}
	got := map[string]int{}
	for _, row := range r.Rows {
		got[row.Section]++
		if row.Name == "" || row.Figure == "" {
			t.Errorf("row %+v has no name or figure", row)
		}
		switch row.Status {
		case Pass, Fail, Info:
			if math.IsNaN(row.Value) || math.IsInf(row.Value, 0) {
				t.Errorf("row %q: value %v is not a number", row.Name, row.Value)
			}
		case NA:
			if row.Note == "" {
				t.Errorf("row %q is N/A without a reason", row.Name)
			}
		default:
			t.Errorf("row %q: status %q", row.Name, row.Status)
		}
		if (row.Status == Pass || row.Status == Fail) && row.Target == "" {
			t.Errorf("row %q has a verdict but no target", row.Name)
		}
	}
	for s, n := range want {
		if got[s] != n {
			t.Errorf("section %s: %d rows, want %d", s, got[s], n)
		}
	}
	// The smoke run skips the Lambda build; its rows must say so.
	for _, row := range r.Rows {
		if row.Section == "e" && row.Status != NA {
			t.Errorf("row %q: status %s, want N/A in the smoke configuration", row.Name, row.Status)
		}
	}

	var out bytes.Buffer
	r.Print(&out)
	for _, row := range r.Rows {
		if !strings.Contains(out.String(), row.Name) {
			t.Errorf("printed table lacks row %q", row.Name)
		}
	}
	if !strings.Contains(out.String(), "time scale 1/100") {
		t.Errorf("printed table does not state the scale:\n%s", out.String())
	}
}

// The throughput arithmetic, on made-up numbers (no clock involved).
func TestThroughputModel(t *testing.T) {
	cfg := DefaultConfig() // scale 1/10, 12 per 6 s
	// 100 data views of 3 requests: 24 windows after the free first one.
	m := measured{run: run{wall: 24 * 600 * time.Millisecond}, n: 100, ok: 100, requests: 300}
	if got := m.throughput(cfg); math.Abs(got-40) > 1e-9 {
		t.Errorf("throughput = %v data views per real minute, want 40", got)
	}
	if got := (measured{}).throughput(cfg); !math.IsNaN(got) {
		t.Errorf("throughput of nothing = %v, want NaN", got)
	}
	if got := cfg.perRealMinute(10, 6*time.Second); math.Abs(got-10) > 1e-9 {
		t.Errorf("10 in 6 s at scale 1/10 = %v per real minute, want 10", got)
	}
}

func TestWorkerShare(t *testing.T) {
	for _, c := range []struct {
		limit, workers, want int
		per                  time.Duration
	}{
		{12, 1, 12, 6 * time.Second},
		{12, 4, 3, 6 * time.Second},
		{12, 8, 1, 6 * time.Second},
		{12, 12, 1, 6 * time.Second},
		{12, 13, 1, 12 * time.Second},
		{12, 30, 1, 18 * time.Second},
	} {
		got, per := workerShare(c.limit, c.workers)
		if got != c.want || per != c.per {
			t.Errorf("workerShare(%d, %d) = %d per %s, want %d per %s", c.limit, c.workers, got, per, c.want, c.per)
		}
	}
}

func TestWholeWindows(t *testing.T) {
	for _, c := range []struct{ n, limit, want int }{
		{100, 12, 100}, {48, 12, 48}, {48, 11, 44}, {6, 11, 11}, {10, 12, 8},
	} {
		if got := wholeWindows(c.n, c.limit); got != c.want {
			t.Errorf("wholeWindows(%d, %d) = %d, want %d", c.n, c.limit, got, c.want)
		}
	}
}

func TestChildMainRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{nil, {"sdr", "x", "1"}, {"sdr", "10", "0"}} {
		if code := ChildMain(args, io.Discard, io.Discard); code != 2 {
			t.Errorf("ChildMain(%q) = %d, want 2", args, code)
		}
	}
}
