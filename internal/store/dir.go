package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// tmpPrefix marks files being written; List skips them.
const tmpPrefix = ".tmp-"

// Dir stores objects as files under a local directory.
type Dir struct {
	root string
}

var _ Store = (*Dir)(nil)

// NewDir creates root (and its parents) if needed and checks that a file can
// be written there, so a bad --output-dir fails before any work is done.
func NewDir(root string) (*Dir, error) {
	if root == "" {
		root = "."
	}
	root = filepath.Clean(root)
	err := os.MkdirAll(root, 0o755)
	if err == nil {
		var f *os.File
		if f, err = os.CreateTemp(root, tmpPrefix+"probe-*"); err == nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cannot write to output directory %s: %w — choose another --output-dir", root, reason(err))
	}
	return &Dir{root: root}, nil
}

// reason strips the path from an *fs.PathError (the message already names the
// directory) and says "permission denied" for both EACCES and EPERM.
func reason(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fs.ErrPermission
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Root is the directory the store writes under.
func (d *Dir) Root() string { return d.root }

func (d *Dir) path(key string) string { return filepath.Join(d.root, filepath.FromSlash(key)) }

// Put writes to a temporary file in the target directory and renames it into
// place, so readers never see a partial file and a failure leaves nothing.
func (d *Dir) Put(ctx context.Context, key string, write func(w io.Writer) error) (obj Object, err error) {
	if err := CheckKey(key); err != nil {
		return Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return Object{}, err
	}
	p := d.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return Object{}, fmt.Errorf("write %s: %w", p, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), tmpPrefix+filepath.Base(p)+"-*")
	if err != nil {
		return Object{}, fmt.Errorf("write %s: %w", p, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := runWrite(ctx, f, write); err != nil {
		return Object{}, fmt.Errorf("write %s: %w", p, err)
	}
	// CreateTemp makes the file 0600; an output is an ordinary file others
	// may read. No fsync: outputs can be regenerated, and a sync per file
	// would dominate a batch on slow disks.
	if err := f.Chmod(0o644); err != nil {
		return Object{}, fmt.Errorf("write %s: %w", p, err)
	}
	info, err := f.Stat()
	if err != nil {
		return Object{}, fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return Object{}, fmt.Errorf("write %s: %w", p, err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return Object{}, fmt.Errorf("write %s: %w", p, err)
	}
	return Object{Key: key, Path: p, Size: info.Size()}, nil
}

// Get reads a file; ErrNotExist if it is missing or is a directory.
func (d *Dir) Get(ctx context.Context, key string) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(d.path(key))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || isDir(d.path(key)) {
			return nil, fmt.Errorf("%w: %s", ErrNotExist, d.path(key))
		}
		return nil, err
	}
	return b, nil
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// List returns the keys of the files whose key starts with prefix (a plain
// string prefix, as in S3), sorted. Files being written are not listed.
func (d *Dir) List(ctx context.Context, prefix string) ([]string, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	// Walk only the deepest directory the prefix names in full.
	start := path.Dir(prefix + "x")
	if start == "." {
		start = ""
	}
	var keys []string
	err := filepath.WalkDir(d.path(start), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() || !e.Type().IsRegular() || strings.HasPrefix(e.Name(), tmpPrefix) {
			return nil
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		if key := filepath.ToSlash(rel); strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.path(start), err)
	}
	slices.Sort(keys)
	return keys, nil
}

// Delete removes a file; a missing file is not an error.
func (d *Dir) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(d.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", d.path(key), err)
	}
	// Folders the key created (a CSV SDR's <base>_csv/) go too once empty,
	// so a failed data view leaves nothing behind. os.Remove refuses a
	// folder that still holds anything, which ends the walk.
	for dir := path.Dir(key); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if os.Remove(d.path(dir)) != nil {
			break
		}
	}
	return nil
}
