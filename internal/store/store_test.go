package store

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cja-sdr/cja-sdr/internal/awstest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

var badKeys = []string{
	"",
	"/etc/passwd",
	"..",
	"../x",
	"a/../../x",
	"a/..",
	"a\\b",
	"..\\x",
	"a\x00b",
	"a//b",
	"a/./b",
	"a/",
	"\xff",
}

func TestCheckKey(t *testing.T) {
	for _, k := range []string{"a", "a/b.xlsx", "runs/r-1/results/dv_1.json", ".hidden", "a..b", "日本/x"} {
		if err := CheckKey(k); err != nil {
			t.Errorf("CheckKey(%q) = %v", k, err)
		}
	}
	for _, k := range badKeys {
		if err := CheckKey(k); !errors.Is(err, ErrBadKey) {
			t.Errorf("CheckKey(%q) = %v, want ErrBadKey", k, err)
		}
	}
}

// testStore runs the behaviour every Store shares.
func testStore(t *testing.T, s Store) {
	ctx := t.Context()
	put := func(key, body string) Object {
		t.Helper()
		obj, err := s.Put(ctx, key, func(w io.Writer) error {
			_, err := io.WriteString(w, body)
			return err
		})
		if err != nil {
			t.Fatalf("Put(%q): %v", key, err)
		}
		if obj.Key != key || obj.Size != int64(len(body)) || obj.Path == "" {
			t.Fatalf("Put(%q) = %+v", key, obj)
		}
		return obj
	}
	put("b.txt", "bee")
	put("runs/r1/results/dv_2.json", "{}")
	put("runs/r1/results/dv_1.json", `{"a":1}`)
	put("runs/r10/x", "x")
	put("b.txt", "bee2") // overwrite

	got, err := s.Get(ctx, "b.txt")
	if err != nil || string(got) != "bee2" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if _, err := s.Get(ctx, "missing.txt"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("Get missing: %v, want ErrNotExist", err)
	}
	if _, err := s.Get(ctx, "runs/r1"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("Get of a 'directory': %v, want ErrNotExist", err)
	}

	for prefix, want := range map[string][]string{
		"":                 {"b.txt", "runs/r1/results/dv_1.json", "runs/r1/results/dv_2.json", "runs/r10/x"},
		"runs/r1/":         {"runs/r1/results/dv_1.json", "runs/r1/results/dv_2.json"},
		"runs/r1":          {"runs/r1/results/dv_1.json", "runs/r1/results/dv_2.json", "runs/r10/x"},
		"runs/r1/results/": {"runs/r1/results/dv_1.json", "runs/r1/results/dv_2.json"},
		"nothing/":         nil,
	} {
		keys, err := s.List(ctx, prefix)
		if err != nil || !slices.Equal(keys, want) {
			t.Errorf("List(%q) = %q, %v; want %q", prefix, keys, err, want)
		}
	}

	if err := s.Delete(ctx, "b.txt"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "b.txt"); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
	if _, err := s.Get(ctx, "b.txt"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("Get after Delete: %v", err)
	}

	// Keys that could escape the root are refused by every operation.
	for _, k := range badKeys {
		_, err := s.Put(ctx, k, func(w io.Writer) error { _, err := io.WriteString(w, "pwned"); return err })
		if !errors.Is(err, ErrBadKey) {
			t.Errorf("Put(%q) = %v, want ErrBadKey", k, err)
		}
		if _, err := s.Get(ctx, k); !errors.Is(err, ErrBadKey) {
			t.Errorf("Get(%q) = %v, want ErrBadKey", k, err)
		}
		if err := s.Delete(ctx, k); !errors.Is(err, ErrBadKey) {
			t.Errorf("Delete(%q) = %v, want ErrBadKey", k, err)
		}
	}
	if _, err := s.List(ctx, "../"); !errors.Is(err, ErrBadKey) {
		t.Errorf("List(../) = %v, want ErrBadKey", err)
	}

	// A failed or cancelled write leaves no object, not even a partial one.
	boom := errors.New("boom")
	_, err = s.Put(ctx, "fail/x.txt", func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failing Put = %v, want boom", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	_, err = s.Put(cctx, "fail/y.txt", func(w io.Writer) error {
		io.WriteString(w, "partial")
		cancel()
		_, err := io.WriteString(w, "more")
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Put = %v, want context.Canceled", err)
	}
	// A writer that ignores the context and returns nil is still refused.
	cctx, cancel = context.WithCancel(ctx)
	_, err = s.Put(cctx, "fail/z.txt", func(w io.Writer) error {
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put cancelled after write = %v, want context.Canceled", err)
	}
	if keys, err := s.List(ctx, "fail/"); err != nil || len(keys) != 0 {
		t.Fatalf("failed writes left %q (%v)", keys, err)
	}
}

func TestMemory(t *testing.T) {
	testStore(t, NewMemory())
}

func TestMemoryPathAndCopy(t *testing.T) {
	m := NewMemory()
	obj, _ := m.Put(t.Context(), "a/b", func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err })
	if obj.Path != "mem://a/b" {
		t.Errorf("Path = %q", obj.Path)
	}
	b, _ := m.Get(t.Context(), "a/b")
	b[0] = 'y'
	if b2, _ := m.Get(t.Context(), "a/b"); string(b2) != "x" {
		t.Error("Get returned the stored slice, not a copy")
	}
	if !strings.HasPrefix(obj.Path, "mem://") {
		t.Error(obj.Path)
	}
}
