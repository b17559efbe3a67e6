// Package cache keeps data quality results between runs, keyed by a hash of
// the components and the checks' version: a local LRU file for the command,
// DynamoDB with TTL for the pipeline.
package cache

import (
	"context"

	"github.com/cja-sdr/cja-sdr/internal/quality"
)

// Cache stores validation results. Implementations must treat expired entries
// as missing. A nil Cache is never passed around: use Disabled.
type Cache interface {
	Get(ctx context.Context, key string) (issues []quality.Issue, ok bool, err error)
	Put(ctx context.Context, key string, issues []quality.Issue) error
}
