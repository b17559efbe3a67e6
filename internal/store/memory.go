package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Memory keeps objects in memory, for tests of code that writes to a Store.
// It enforces the same key rules and all-or-nothing Put as the real stores.
type Memory struct {
	mu   sync.Mutex
	objs map[string][]byte
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{objs: map[string][]byte{}} }

// Put stores the bytes write produced; Path is "mem://" + key.
func (m *Memory) Put(ctx context.Context, key string, write func(w io.Writer) error) (Object, error) {
	if err := CheckKey(key); err != nil {
		return Object{}, err
	}
	var buf bytes.Buffer
	if err := runWrite(ctx, &buf, write); err != nil {
		return Object{}, fmt.Errorf("write mem://%s: %w", key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[key] = buf.Bytes()
	return Object{Key: key, Path: "mem://" + key, Size: int64(buf.Len())}, nil
}

// Get returns a copy of an object; ErrNotExist if it is missing.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[key]
	if !ok {
		return nil, fmt.Errorf("%w: mem://%s", ErrNotExist, key)
	}
	return bytes.Clone(b), nil
}

// List returns the keys starting with prefix, sorted.
func (m *Memory) List(ctx context.Context, prefix string) ([]string, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range maps.Keys(m.objs) {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// Delete removes an object; a missing key is not an error.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, key)
	return nil
}
