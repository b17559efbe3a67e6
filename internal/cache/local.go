package cache

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/quality"
)

// Stats counts lookups since the cache was opened.
type Stats struct {
	Hits   int64 `json:"hits"`
	Misses int64 `json:"misses"`
}

// Local is an LRU cache persisted as one JSON file between runs of the
// command. Two commands sharing the file at once do not corrupt it (writes
// are atomic renames), but the last to close wins.
type Local struct {
	path string
	max  int
	ttl  time.Duration
	now  func() time.Time

	mu    sync.Mutex
	order *list.List // of *localEntry, most recently used first
	byKey map[string]*list.Element
	stats Stats
	dirty bool
}

type localEntry struct {
	Key     string          `json:"key"`
	Expires time.Time       `json:"expires"`
	Issues  []quality.Issue `json:"issues"`
}

// localFile is the file format. Version changes only if the layout does;
// the checks' version is part of every key already.
type localFile struct {
	Format  int           `json:"format"`
	Entries []*localEntry `json:"entries"` // most recently used first
}

const localFormat = 1

var _ Cache = (*Local)(nil)

// DefaultLocalPath is where the command keeps its cache file: the user's
// cache directory (~/.cache on Linux), shared by every working directory.
func DefaultLocalPath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the user cache directory: %w", err)
	}
	return filepath.Join(dir, "cja-sdr", "validation-cache.json"), nil
}

// OpenLocal loads the cache file at path, or starts empty if there is none.
// maxEntries bounds the entries kept (least recently used go first) and ttl
// how long an entry counts; now is the clock (nil means time.Now). A corrupt
// file is not an error: the cache starts empty, the file is replaced on
// Close, and the returned warnings say so.
func OpenLocal(path string, maxEntries int, ttl time.Duration, now func() time.Time) (*Local, []string, error) {
	if maxEntries < 1 {
		return nil, nil, fmt.Errorf("cache size must be at least 1, got %d", maxEntries)
	}
	if ttl <= 0 {
		return nil, nil, fmt.Errorf("cache TTL must be positive, got %s", ttl)
	}
	if now == nil {
		now = time.Now
	}
	c := &Local{path: path, max: maxEntries, ttl: ttl, now: now, order: list.New(), byKey: map[string]*list.Element{}}

	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read cache file %s: %w (use another path, or run without --enable-cache)", path, err)
	}
	var f localFile
	if err := json.Unmarshal(b, &f); err != nil || f.Format != localFormat {
		c.dirty = true
		return c, []string{fmt.Sprintf("cache file %s is unreadable or from another version; starting with an empty cache", path)}, nil
	}
	t := now()
	for _, e := range f.Entries {
		if e == nil || e.Key == "" || !t.Before(e.Expires) || c.byKey[e.Key] != nil || c.order.Len() == c.max {
			c.dirty = true // expired, malformed or over the (maybe lowered) size: prune
			continue
		}
		c.byKey[e.Key] = c.order.PushBack(e)
	}
	return c, nil, nil
}

// Get returns a copy of the cached issues, counting a hit or a miss.
func (c *Local) Get(_ context.Context, key string) ([]quality.Issue, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if ok && !c.now().Before(el.Value.(*localEntry).Expires) {
		c.remove(el)
		ok = false
	}
	if !ok {
		c.stats.Misses++
		return nil, false, nil
	}
	c.stats.Hits++
	c.order.MoveToFront(el)
	c.dirty = true // recency is saved too
	return slices.Clone(el.Value.(*localEntry).Issues), true, nil
}

// Put stores issues under key for the TTL, evicting the least recently used
// entries beyond maxEntries.
func (c *Local) Put(_ context.Context, key string, issues []quality.Issue) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &localEntry{Key: key, Expires: c.now().Add(c.ttl), Issues: slices.Clone(issues)}
	if el, ok := c.byKey[key]; ok {
		el.Value = e
		c.order.MoveToFront(el)
	} else {
		c.byKey[key] = c.order.PushFront(e)
	}
	for c.order.Len() > c.max {
		c.remove(c.order.Back())
	}
	c.dirty = true
	return nil
}

func (c *Local) remove(el *list.Element) {
	delete(c.byKey, el.Value.(*localEntry).Key)
	c.order.Remove(el)
	c.dirty = true
}

// Len is the number of entries, expired ones not yet pruned included.
func (c *Local) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// Clear drops every entry (the file is rewritten on Close).
func (c *Local) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.Init()
	clear(c.byKey)
	c.dirty = true
}

// Stats returns the hits and misses so far.
func (c *Local) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Close saves the cache if it changed. The cache stays usable after Close,
// and Close may be called again to save later changes.
func (c *Local) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	t := c.now()
	f := localFile{Format: localFormat, Entries: make([]*localEntry, 0, c.order.Len())}
	for el := c.order.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*localEntry); t.Before(e.Expires) {
			f.Entries = append(f.Entries, e)
		}
	}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("save cache: %w", err)
	}
	if err := writeFileAtomic(c.path, b); err != nil {
		return fmt.Errorf("save cache file %s: %w", c.path, err)
	}
	c.dirty = false
	return nil
}

// writeFileAtomic writes a temp file next to path and renames it, so a crash
// or a concurrent run never leaves a half-written cache file.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
