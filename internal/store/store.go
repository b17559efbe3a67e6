// Package store writes and reads the files a run produces: a local directory
// for the command, an S3 bucket for the pipeline. Writers stream into a
// callback so the same renderer code serves both.
package store

import (
	"context"
	"errors"
	"io"
)

// Object is one stored file.
type Object struct {
	Key  string `json:"key"`  // slash-separated, relative to the store root
	Path string `json:"path"` // where a user finds it: a file path or s3://bucket/key
	Size int64  `json:"size"`
}

// ErrNotExist is returned by Get for a missing key.
var ErrNotExist = errors.New("object does not exist")

// Store holds objects under slash-separated keys that can never escape its
// root (keys with "..", absolute paths or backslashes are refused).
type Store interface {
	// Put writes an object. Nothing is visible under key until write has
	// returned nil: a failed or cancelled write leaves no partial object.
	Put(ctx context.Context, key string, write func(w io.Writer) error) (Object, error)
	// Get reads a whole object; ErrNotExist if it is missing.
	Get(ctx context.Context, key string) ([]byte, error)
	// List returns the keys under prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// Delete removes an object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}
