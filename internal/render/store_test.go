package render

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/cja-sdr/cja-sdr/internal/store"
)

// memStore is a map-backed store.Store for tests. Like the real stores, a
// failed write leaves nothing behind.
type memStore struct {
	mu      sync.Mutex
	objects map[string][]byte
	puts    int
	// failPut, when > 0, makes the failPut-th Put fail.
	failPut int
	// afterPut runs after each successful Put (e.g. to cancel a context).
	afterPut func(n int)
}

var _ store.Store = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{objects: map[string][]byte{}} }

var errInjected = errors.New("injected put failure")

func (m *memStore) Put(ctx context.Context, key string, write func(io.Writer) error) (store.Object, error) {
	if err := ctx.Err(); err != nil {
		return store.Object{}, err
	}
	m.mu.Lock()
	m.puts++
	n := m.puts
	m.mu.Unlock()
	if n == m.failPut {
		return store.Object{}, errInjected
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return store.Object{}, err
	}
	m.mu.Lock()
	m.objects[key] = buf.Bytes()
	m.mu.Unlock()
	if m.afterPut != nil {
		m.afterPut(n)
	}
	return store.Object{Key: key, Path: "mem://" + key, Size: int64(buf.Len())}, nil
}

func (m *memStore) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objects[key]
	if !ok {
		return nil, store.ErrNotExist
	}
	return b, nil
}

func (m *memStore) List(_ context.Context, prefix string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.objects {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

func (m *memStore) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, key)
	return nil
}

// discardStore runs the writer into io.Discard and keeps nothing: for
// benchmarks.
type discardStore struct{}

func (discardStore) Put(_ context.Context, key string, write func(io.Writer) error) (store.Object, error) {
	return store.Object{Key: key}, write(io.Discard)
}

func (discardStore) Get(context.Context, string) ([]byte, error)    { return nil, store.ErrNotExist }
func (discardStore) List(context.Context, string) ([]string, error) { return nil, nil }
func (discardStore) Delete(context.Context, string) error           { return nil }
