package report

import (
	"fmt"
	"strings"
	"time"
)

// Summary aggregates a run's results. Results keep the order the data views
// were requested in.
type Summary struct {
	Results    []Result      `json:"results"`
	Total      int           `json:"total"`
	Successful int           `json:"successful"`
	Failed     int           `json:"failed"`
	Cancelled  int           `json:"cancelled"`
	NotStarted int           `json:"notStarted"`
	Duration   time.Duration `json:"durationNs"`
	CacheHits  int           `json:"cacheHits"`
}

// Summarize counts results. duration is the run's wall time.
func Summarize(results []Result, duration time.Duration) Summary {
	s := Summary{Results: make([]Result, len(results)), Total: len(results), Duration: duration}
	for i, r := range results {
		switch r.Status {
		case Success:
			s.Successful++
		case Cancelled:
			s.Cancelled++
		case Skipped:
			s.NotStarted++
		case Failed:
			s.Failed++
		default:
			// A record with no or an unknown status (a bug, or a record
			// from another version) must still be counted and listed.
			r.Error = fmt.Sprintf("unknown status %q: %s (run it again)", r.Status, orDefault(r.Error, "no error recorded"))
			r.Status = Failed
			s.Failed++
		}
		if r.CacheHit {
			s.CacheHits++
		}
		s.Results[i] = r
	}
	return s
}

// OK reports whether every data view succeeded.
func (s Summary) OK() bool { return s.Successful == s.Total }

const rule = "============================================================"

// Text renders the batch summary block exactly as the reference tool's users
// know it, with the cancelled and not-started data views added when a run
// stopped early.
func (s Summary) Text() string {
	var b strings.Builder
	fmt.Fprintln(&b, rule)
	fmt.Fprintln(&b, "BATCH PROCESSING SUMMARY")
	fmt.Fprintln(&b, rule)
	fmt.Fprintf(&b, "Total data views: %d\n", s.Total)
	fmt.Fprintf(&b, "Successful: %d\n", s.Successful)
	fmt.Fprintf(&b, "Failed: %d\n", s.Failed)
	if s.Cancelled > 0 {
		fmt.Fprintf(&b, "Cancelled: %d\n", s.Cancelled)
	}
	if s.NotStarted > 0 {
		fmt.Fprintf(&b, "Not started: %d\n", s.NotStarted)
	}
	rate := 0.0
	if s.Total > 0 {
		rate = 100 * float64(s.Successful) / float64(s.Total)
	}
	fmt.Fprintf(&b, "Success rate: %.1f%%\n", rate)
	fmt.Fprintf(&b, "Total duration: %.1fs\n", s.Duration.Seconds())
	if s.Total > 0 {
		fmt.Fprintf(&b, "Average per data view: %.1fs\n", s.Duration.Seconds()/float64(s.Total))
	}
	// Columns as wide as the longest ID and name, at least the reference's 16
	// and 27, so real 27-character IDs still line up.
	idW, nameW := 16, 27
	for _, r := range s.Results {
		idW = max(idW, len([]rune(r.DataViewID)))
		nameW = max(nameW, len([]rune(r.Name)))
	}
	first := true
	section := func(title string, st Status, line func(Result) string) {
		header := false
		for _, r := range s.Results {
			if r.Status != st {
				continue
			}
			if first {
				b.WriteString("\n")
				first = false
			}
			if !header {
				fmt.Fprintf(&b, "%s:\n", title)
				header = true
			}
			fmt.Fprintln(&b, line(r))
		}
	}
	section("Successful Data Views", Success, func(r Result) string {
		return fmt.Sprintf("  ✓ %s %s %.1fs", pad(r.DataViewID, idW), pad(r.Name, nameW), r.Duration.Seconds())
	})
	section("Failed Data Views", Failed, func(r Result) string {
		return fmt.Sprintf("  ✗ %s %s", pad(r.DataViewID, idW), r.Error)
	})
	section("Cancelled Data Views", Cancelled, func(r Result) string {
		return fmt.Sprintf("  - %s %s", pad(r.DataViewID, idW), orDefault(r.Error, "cancelled: the run stopped while it was in flight"))
	})
	section("Not Started Data Views", Skipped, func(r Result) string {
		return fmt.Sprintf("  - %s %s", pad(r.DataViewID, idW), orDefault(r.Error, "not started: the run stopped at the first failure (use --continue-on-error to process every data view)"))
	})
	fmt.Fprintln(&b, rule)
	// The reference tool counts every data view of the batch, failed ones
	// included (its guide: 10 data views in 125.3 s is 4.8 per minute).
	perMin := 0.0
	if s.Duration > 0 {
		perMin = float64(s.Total) / s.Duration.Minutes()
	}
	fmt.Fprintf(&b, "Throughput: %.1f data views per minute\n", perMin)
	fmt.Fprintln(&b, rule)
	return b.String()
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// pad left-aligns s in width runes (fmt pads by bytes, which misaligns names
// with accents).
func pad(s string, width int) string {
	if n := len([]rune(s)); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}
