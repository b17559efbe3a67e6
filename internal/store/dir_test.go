package store

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDir(t *testing.T) {
	testStore(t, newDir(t, t.TempDir()))
}

func newDir(t *testing.T, root string) *Dir {
	t.Helper()
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDirCreatesRootAndWritesFiles(t *testing.T) {
	root := filepath.Join(t.TempDir(), "out", "nested")
	d := newDir(t, root)
	obj, err := d.Put(t.Context(), "sdr/a.csv", func(w io.Writer) error {
		_, err := io.WriteString(w, "x,y\n")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "sdr", "a.csv"); obj.Path != want {
		t.Errorf("Path = %q, want %q", obj.Path, want)
	}
	b, err := os.ReadFile(obj.Path)
	if err != nil || string(b) != "x,y\n" {
		t.Fatalf("file = %q, %v", b, err)
	}
	info, _ := os.Stat(obj.Path)
	if info.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", info.Mode().Perm())
	}
	assertNoTemp(t, root)
}

// assertNoTemp fails if a temporary file is left anywhere under root.
func assertNoTemp(t *testing.T, root string) {
	t.Helper()
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(e.Name(), tmpPrefix) {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}

func TestDirFailedWriteKeepsOldFileAndNoTemp(t *testing.T) {
	root := t.TempDir()
	d := newDir(t, root)
	ctx := t.Context()
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if _, err := d.Put(ctx, "a.txt", write("old")); err != nil {
		t.Fatal(err)
	}

	// Stop inside the write: the temp file exists at that moment...
	boom := errors.New("boom")
	_, err := d.Put(ctx, "a.txt", func(w io.Writer) error {
		io.WriteString(w, "new but partial")
		entries, _ := os.ReadDir(root)
		temps := 0
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				temps++
			}
		}
		if temps != 1 {
			t.Errorf("during the write: %d temp files, want 1", temps)
		}
		if keys, _ := d.List(ctx, ""); len(keys) != 1 {
			t.Errorf("List shows a file being written: %q", keys)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Put = %v", err)
	}
	// ...and is gone after; the previous version is intact.
	assertNoTemp(t, root)
	if b, _ := os.ReadFile(filepath.Join(root, "a.txt")); string(b) != "old" {
		t.Errorf("a.txt = %q, want the old content", b)
	}

	ctx2, cancel := context.WithCancel(ctx)
	_, err = d.Put(ctx2, "a.txt", func(w io.Writer) error {
		cancel()
		_, err := io.WriteString(w, "new")
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Put = %v", err)
	}
	assertNoTemp(t, root)
	if b, _ := os.ReadFile(filepath.Join(root, "a.txt")); string(b) != "old" {
		t.Errorf("a.txt = %q, want the old content", b)
	}
}

func TestDirKeysStayInsideRoot(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	d := newDir(t, root)
	for _, k := range []string{"../escaped.txt", "a/../../escaped.txt", "/tmp/escaped.txt", "..\\escaped.txt"} {
		_, err := d.Put(t.Context(), k, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err })
		if !errors.Is(err, ErrBadKey) {
			t.Errorf("Put(%q) = %v, want ErrBadKey", k, err)
		}
	}
	if _, err := os.Stat(filepath.Join(parent, "escaped.txt")); err == nil {
		t.Error("a key escaped the root")
	}
}

func TestNewDirNotADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	_, err := NewDir(filepath.Join(file, "out"))
	want := "cannot write to output directory " + filepath.Join(file, "out") + ": not a directory — choose another --output-dir"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestNewDirPermissionDenied(t *testing.T) {
	var dir string
	if os.Geteuid() != 0 {
		dir = filepath.Join(t.TempDir(), "ro")
		os.Mkdir(dir, 0o500)
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
	} else {
		// root ignores file modes; sysfs refuses new entries even to root.
		dir = "/sys/kernel"
		if _, err := os.Stat(dir); err != nil {
			t.Skip("running as root without /sys: cannot make an unwritable directory")
		}
	}
	out := filepath.Join(dir, "out")
	_, err := NewDir(out)
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("err = %v, want a permission error", err)
	}
	want := "cannot write to output directory " + out + ": permission denied — choose another --output-dir"
	if err.Error() != want {
		t.Fatalf("err = %q\nwant %q", err, want)
	}
}

// Deleting the last file of a folder the store created removes the folder
// too (a failed CSV SDR leaves no empty <base>_csv/), but never the root or a
// folder that still holds something.
func TestDirDeleteRemovesEmptiedFolders(t *testing.T) {
	root := t.TempDir()
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, k := range []string{"a_csv/x.csv", "a_csv/y.csv", "keep/z.txt"} {
		if _, err := d.Put(ctx, k, func(w io.Writer) error { _, err := io.WriteString(w, "v"); return err }); err != nil {
			t.Fatal(err)
		}
	}
	d.Delete(ctx, "a_csv/x.csv")
	if _, err := os.Stat(filepath.Join(root, "a_csv")); err != nil {
		t.Fatal("folder removed while it still held a file")
	}
	d.Delete(ctx, "a_csv/y.csv")
	if _, err := os.Stat(filepath.Join(root, "a_csv")); !os.IsNotExist(err) {
		t.Fatalf("emptied folder left behind: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "keep", "z.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Fatal("root removed")
	}
}
