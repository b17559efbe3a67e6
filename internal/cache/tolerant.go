package cache

import (
	"context"
	"sync"

	"github.com/cja-sdr/cja-sdr/internal/quality"
)

// Disabled is the cache used when caching is off: every Get misses and Put
// keeps nothing.
type Disabled struct{}

var _ Cache = Disabled{}

// Get always misses.
func (Disabled) Get(context.Context, string) ([]quality.Issue, bool, error) { return nil, false, nil }

// Put does nothing.
func (Disabled) Put(context.Context, string, []quality.Issue) error { return nil }

// Tolerant wraps c so that its failures never fail a run, since the cache
// only saves time: a failed Get is a miss, a failed Put is dropped. The first
// failure is passed to warn (nil means none); later ones are silent so an
// unreachable table does not repeat the same warning for every data view.
// Make one per run (per invocation in Lambda) so every run that meets a
// failure logs it once. Failures while ctx is already done are the caller's
// cancellation, not the cache's: they give a miss and no warning.
func Tolerant(c Cache, warn func(error)) Cache {
	return &tolerant{c: c, warn: warn}
}

type tolerant struct {
	c      Cache
	warn   func(error)
	warned sync.Once
}

func (t *tolerant) fail(ctx context.Context, err error) {
	if ctx.Err() == nil && t.warn != nil {
		t.warned.Do(func() { t.warn(err) })
	}
}

func (t *tolerant) Get(ctx context.Context, key string) ([]quality.Issue, bool, error) {
	issues, ok, err := t.c.Get(ctx, key)
	if err != nil {
		t.fail(ctx, err)
		return nil, false, nil
	}
	return issues, ok, nil
}

func (t *tolerant) Put(ctx context.Context, key string, issues []quality.Issue) error {
	if err := t.c.Put(ctx, key, issues); err != nil {
		t.fail(ctx, err)
	}
	return nil
}
