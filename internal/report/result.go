// Package report holds the outcome of a run: one Result per requested data
// view and the summary block the command prints and the pipeline stores.
package report

import (
	"time"

	"github.com/cja-sdr/cja-sdr/internal/store"
)

// Status is how one data view ended.
type Status string

// Every requested data view ends in exactly one of these.
const (
	Success   Status = "SUCCESS"
	Failed    Status = "FAILED"
	Cancelled Status = "CANCELLED"   // was in flight when the run stopped
	Skipped   Status = "NOT_STARTED" // never started because the run stopped first
)

// Result is what happened to one data view.
type Result struct {
	DataViewID string `json:"dataViewId"`
	Name       string `json:"name,omitempty"`
	Status     Status `json:"status"`
	Error      string `json:"error,omitempty"`
	// Retryable marks failures worth trying again later (throttling, 5xx, network).
	Retryable  bool          `json:"retryable,omitempty"`
	Started    time.Time     `json:"started,omitzero"`
	Duration   time.Duration `json:"durationNs"`
	Metrics    int           `json:"metrics"`
	Dimensions int           `json:"dimensions"`
	Issues     int           `json:"issues"`
	// IssuesBySeverity counts data quality issues per severity name.
	IssuesBySeverity map[string]int `json:"issuesBySeverity,omitempty"`
	CacheHit         bool           `json:"cacheHit,omitempty"`
	Requests         int            `json:"requests,omitempty"`
	Outputs          []store.Object `json:"outputs,omitempty"`
}
