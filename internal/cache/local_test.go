package cache

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/quality"
)

// clock is a settable time source for TTL tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 1, 31, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func issues(s string) []quality.Issue {
	return []quality.Issue{{Severity: quality.High, Category: "Duplicates", Type: "Metrics", ItemName: s, Issue: "dup", Details: "d"}}
}

func openLocal(t *testing.T, path string, max int, ttl time.Duration, now func() time.Time) *Local {
	t.Helper()
	c, warns, err := OpenLocal(path, max, ttl, now)
	if err != nil || len(warns) != 0 {
		t.Fatalf("OpenLocal: %v %q", err, warns)
	}
	return c
}

// has reports whether key hits, failing the test on an error.
func has(t *testing.T, c Cache, key string) bool {
	t.Helper()
	_, ok, err := c.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestLocalGetPutStats(t *testing.T) {
	c := openLocal(t, filepath.Join(t.TempDir(), "c.json"), 10, time.Hour, nil)
	ctx := t.Context()
	if has(t, c, "k") {
		t.Fatal("hit on an empty cache")
	}
	c.Put(ctx, "k", issues("a"))
	got, ok, _ := c.Get(ctx, "k")
	if !ok || len(got) != 1 || got[0].ItemName != "a" {
		t.Fatalf("Get = %v, %v", got, ok)
	}
	got[0].ItemName = "changed"
	if again, _, _ := c.Get(ctx, "k"); again[0].ItemName != "a" {
		t.Error("Get returned the cached slice, not a copy")
	}
	c.Put(ctx, "empty", nil)
	if !has(t, c, "empty") {
		t.Error("a result with no issues must still be a hit")
	}
	if s := c.Stats(); s.Hits != 3 || s.Misses != 1 {
		t.Errorf("Stats = %+v, want 3 hits 1 miss", s)
	}
}

func TestLocalLRUEviction(t *testing.T) {
	c := openLocal(t, filepath.Join(t.TempDir(), "c.json"), 3, time.Hour, nil)
	ctx := t.Context()
	c.Put(ctx, "a", nil)
	c.Put(ctx, "b", nil)
	c.Put(ctx, "c", nil)
	has(t, c, "a")       // a is now the most recent: b is the least
	c.Put(ctx, "d", nil) // evicts b
	c.Put(ctx, "c", nil) // refreshes c: a is now the least
	c.Put(ctx, "e", nil) // evicts a
	for key, want := range map[string]bool{"a": false, "b": false, "c": true, "d": true, "e": true} {
		if has(t, c, key) != want {
			t.Errorf("%s cached = %v, want %v", key, !want, want)
		}
	}
	if c.Len() != 3 {
		t.Errorf("Len = %d, want 3", c.Len())
	}
}

func TestLocalTTL(t *testing.T) {
	clk := newClock()
	path := filepath.Join(t.TempDir(), "c.json")
	c := openLocal(t, path, 10, time.Hour, clk.Now)
	ctx := t.Context()
	c.Put(ctx, "old", nil)
	clk.Advance(30 * time.Minute)
	c.Put(ctx, "new", nil)
	clk.Advance(30*time.Minute - time.Second)
	if !has(t, c, "old") {
		t.Fatal("expired a second early")
	}
	clk.Advance(time.Second)
	if has(t, c, "old") {
		t.Fatal("an entry exactly ttl old must be expired")
	}
	if c.Len() != 1 {
		t.Errorf("expired entry not pruned: Len = %d", c.Len())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// Entries that expire between runs are dropped on load.
	clk.Advance(30 * time.Minute)
	c2 := openLocal(t, path, 10, time.Hour, clk.Now)
	if c2.Len() != 0 {
		t.Errorf("expired entries loaded: Len = %d", c2.Len())
	}
}

func TestLocalPersistence(t *testing.T) {
	clk := newClock()
	path := filepath.Join(t.TempDir(), "sub", "c.json") // the directory is created
	c := openLocal(t, path, 3, time.Hour, clk.Now)
	ctx := t.Context()
	for _, k := range []string{"a", "b", "c"} {
		c.Put(ctx, k, issues(k))
	}
	has(t, c, "a") // recency survives the reopen: b is least recent
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	c2 := openLocal(t, path, 3, time.Hour, clk.Now)
	got, ok, _ := c2.Get(ctx, "b")
	if !ok || got[0].ItemName != "b" {
		t.Fatalf("after reopen Get(b) = %v, %v", got, ok)
	}
	c2.Put(ctx, "d", nil) // evicts c (b was just used)
	if has(t, c2, "c") || !has(t, c2, "a") {
		t.Error("LRU order was not persisted")
	}
	c2.Close()

	// Reopening with a smaller size keeps the most recent entries.
	c3 := openLocal(t, path, 1, time.Hour, clk.Now)
	if c3.Len() != 1 || !has(t, c3, "a") {
		t.Errorf("smaller reopen kept %d entries, a=%v", c3.Len(), has(t, c3, "a"))
	}
	assertNoTemp(t, filepath.Dir(path))
}

func TestLocalClear(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	c := openLocal(t, path, 3, time.Hour, nil)
	c.Put(t.Context(), "a", nil)
	c.Close()
	c = openLocal(t, path, 3, time.Hour, nil)
	c.Clear()
	if has(t, c, "a") {
		t.Fatal("hit after Clear")
	}
	c.Close()
	if c = openLocal(t, path, 3, time.Hour, nil); c.Len() != 0 {
		t.Error("Clear was not saved")
	}
}

func TestLocalCorruptFile(t *testing.T) {
	for name, content := range map[string]string{
		"garbage":      "{not json",
		"truncated":    `{"format":1,"entries":[{"key":"a"`,
		"wrong format": `{"format":99,"entries":[]}`,
		"wrong shape":  `[1,2,3]`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.json")
			os.WriteFile(path, []byte(content), 0o644)
			c, warns, err := OpenLocal(path, 3, time.Hour, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(warns) != 1 || !strings.Contains(warns[0], path) || !strings.Contains(warns[0], "empty cache") {
				t.Errorf("warnings = %q", warns)
			}
			if c.Len() != 0 {
				t.Errorf("Len = %d", c.Len())
			}
			// Close replaces the bad file even with nothing added.
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if _, warns, _ := OpenLocal(path, 3, time.Hour, nil); len(warns) != 0 {
				t.Errorf("file still bad after Close: %q", warns)
			}
		})
	}
}

func TestLocalOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := OpenLocal(dir, 3, time.Hour, nil); err == nil {
		t.Error("opening a directory as the cache file: no error")
	}
	if _, _, err := OpenLocal(filepath.Join(dir, "c.json"), 0, time.Hour, nil); err == nil {
		t.Error("size 0: no error")
	}
	if _, _, err := OpenLocal(filepath.Join(dir, "c.json"), 1, 0, nil); err == nil {
		t.Error("ttl 0: no error")
	}
}

func TestLocalConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	c := openLocal(t, path, 50, time.Hour, nil)
	ctx := t.Context()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				key := fmt.Sprint(i % 70)
				if _, ok, _ := c.Get(ctx, key); !ok {
					c.Put(ctx, key, issues(key))
				}
				if i%50 == w {
					c.Stats()
					c.Close()
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 50 {
		t.Errorf("Len = %d over the bound", c.Len())
	}
	if s := c.Stats(); s.Hits+s.Misses != 8*200 {
		t.Errorf("Stats = %+v, want %d lookups", s, 8*200)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if c2 := openLocal(t, path, 50, time.Hour, nil); c2.Len() != c.Len() {
		t.Errorf("reopened Len = %d, want %d", c2.Len(), c.Len())
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestDefaultLocalPath(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/x/cache")
	if p, err := DefaultLocalPath(); err != nil || p != "/x/cache/cja-sdr/validation-cache.json" {
		t.Errorf("DefaultLocalPath = %q, %v", p, err)
	}
}
