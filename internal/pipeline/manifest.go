package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/store"
)

// Keys of a run in the bucket. SDR files go under OutputPrefix +
// YYYY/MM/DD/<runId>/ instead (see SDRPrefix).
func runPrefix(runID string) string   { return "runs/" + runID + "/" }
func manifestKey(runID string) string { return runPrefix(runID) + "manifest.json" }
func resultsPrefix(runID string) string {
	return runPrefix(runID) + "results/"
}
func resultKey(runID, dataViewID string) string {
	return resultsPrefix(runID) + dataViewID + ".json"
}

// ManifestKey is where a run's manifest lives in the bucket.
func ManifestKey(runID string) string { return manifestKey(runID) }

// ResultKey is where the generator writes a data view's result record.
func ResultKey(runID, dataViewID string) string { return resultKey(runID, dataViewID) }

// SummaryKey is where the summary writes summary.<ext> ("json", "txt", "xlsx").
func SummaryKey(runID, ext string) string { return runPrefix(runID) + "summary." + ext }

// SDRPrefix is the key prefix of a run's SDR files: outputPrefix, the run's
// UTC start date as YYYY/MM/DD, and the run id.
func SDRPrefix(outputPrefix string, started time.Time, runID string) string {
	p := strings.Trim(outputPrefix, "/")
	if p != "" {
		p += "/"
	}
	return p + started.UTC().Format("2006/01/02") + "/" + runID + "/"
}

// runIDPattern is what Step Functions allows in an execution name that is
// also harmless in an S3 key; run ids are execution names.
var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// validRunID reports whether id can be a run id (and so a key segment).
func validRunID(id string) bool { return runIDPattern.MatchString(id) }

// Source is an uploaded list of data views, dataviews.txt style.
type Source struct {
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"versionId,omitempty"`
}

// URI is the source as s3://bucket/key.
func (s Source) URI() string { return "s3://" + s.Bucket + "/" + s.Key }

// Problem is a requested entry that is not a data view id: an invalid line
// of an uploaded list (Line counts from 1) or an invalid id of a list given
// in the input (Line 0). Problems are reported in the summary.
type Problem struct {
	Line  int    `json:"line,omitempty"`
	Text  string `json:"text"`
	Error string `json:"error"`
}

// Manifest is everything a run's functions share: written once by the
// planner, read by every generator (cached per container) and the summary.
type Manifest struct {
	RunID string `json:"runId"`
	// Started is the execution's start time; its UTC date dates the SDRs.
	Started time.Time `json:"started"`
	// Requested says how the ids were chosen: "list", "all" or "source".
	Requested       string    `json:"requested"`
	Source          *Source   `json:"source,omitempty"`
	DataViewIDs     []string  `json:"dataViewIds"`
	Problems        []Problem `json:"problems,omitempty"`
	Workers         int       `json:"workers"`
	ContinueOnError bool      `json:"continueOnError"`
	Formats         []string  `json:"formats"`
	SkipValidation  bool      `json:"skipValidation"`
	MaxIssues       int       `json:"maxIssues"`
}

func writeJSON(ctx context.Context, s store.Store, key string, v any) (store.Object, error) {
	return s.Put(ctx, key, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

func readManifest(ctx context.Context, s store.Store, runID string) (*Manifest, error) {
	b, err := s.Get(ctx, manifestKey(runID))
	if err != nil {
		return nil, fmt.Errorf("read the manifest of run %s: %w", runID, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read the manifest of run %s: %w", runID, err)
	}
	if m.RunID != runID {
		return nil, fmt.Errorf("read the manifest of run %s: it names run %q", runID, m.RunID)
	}
	return &m, nil
}

// manifestCache keeps the last few manifests a container has read: every
// generator invocation of a run needs the same one, and a warm container
// serves many of them. A few entries cover overlapping runs.
type manifestCache struct {
	mu   sync.Mutex
	runs []*Manifest // most recent last
}

const manifestCacheSize = 4

func (c *manifestCache) get(ctx context.Context, s store.Store, runID string) (*Manifest, error) {
	c.mu.Lock()
	for _, m := range c.runs {
		if m.RunID == runID {
			c.mu.Unlock()
			return m, nil
		}
	}
	c.mu.Unlock()
	m, err := readManifest(ctx, s, runID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.runs = append(c.runs, m)
	if len(c.runs) > manifestCacheSize {
		c.runs = c.runs[len(c.runs)-manifestCacheSize:]
	}
	return m, nil
}
