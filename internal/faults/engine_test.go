package faults

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/xuri/excelize/v2"

	"github.com/cja-sdr/cja-sdr/internal/awstest"
	"github.com/cja-sdr/cja-sdr/internal/batch"
	"github.com/cja-sdr/cja-sdr/internal/cache"
	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/generate"
	"github.com/cja-sdr/cja-sdr/internal/pipeline"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
	"github.com/cja-sdr/cja-sdr/internal/store"
	"github.com/cja-sdr/cja-sdr/internal/syncbuf"
)

// The engine scenarios run the generator the command and the generator
// Lambda share (generate.Generator on batch.Run) against the simulator and
// real S3 and DynamoDB APIs (moto), for the faults the command cannot meet:
// a bucket, a table, a full disk.

// engineClient is an API client on sim with waits skipped.
func engineClient(t *testing.T, sim *sampleorg.Server) *cja.Client {
	t.Helper()
	creds := sampleorg.DemoCredentials()
	c, err := cja.New(cja.Config{
		OrgID: creds.OrgID, ClientID: creds.ClientID, Secret: creds.Secret, Scopes: creds.Scopes,
		IMSURL: sampleorg.DemoIMSURL, CJAURL: sampleorg.DemoCJAURL, HTTPClient: sim.Client(), RateLimit: -1,
		RequestTimeout: 5 * time.Second,
		Sleep:          func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// logBuffer is a logger whose output the test reads (and the secret scan).
func logBuffer() (*slog.Logger, *syncbuf.Buffer) {
	var b syncbuf.Buffer
	return slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})), &b
}

// runEngine generates ids with gen, continuing on error.
func runEngine(t *testing.T, ctx context.Context, gen *generate.Generator, ids []string) []report.Result {
	t.Helper()
	return batch.Run(ctx, ids, batch.Options{Workers: 2, ContinueOnError: true}, gen.Generate)
}

// checkResults is the invariant on a run's results: each requested data
// view exactly once, failures that say what to do.
func checkResults(t *testing.T, ids []string, results []report.Result) map[string]report.Result {
	t.Helper()
	byID := map[string]report.Result{}
	for _, r := range results {
		if _, dup := byID[r.DataViewID]; dup {
			t.Errorf("invariant: %s has two results", r.DataViewID)
		}
		byID[r.DataViewID] = r
		if r.Status == report.Failed && !advice.MatchString(r.Error) {
			t.Errorf("invariant: %s failed without saying what to do: %q", r.DataViewID, r.Error)
		}
		checkNoSecrets(t, "", r.Error)
	}
	for _, id := range ids {
		if _, ok := byID[id]; !ok {
			t.Errorf("invariant: %s has no result", id)
		}
	}
	if len(results) != len(ids) {
		t.Errorf("invariant: %d results for %d data views", len(results), len(ids))
	}
	return byID
}

// checkStore is the invariant on what a run stored: SDR files only for
// data views that succeeded, complete, and every key under prefix.
func checkStore(t *testing.T, st store.Store, prefix string, byID map[string]report.Result) {
	t.Helper()
	ctx := context.Background()
	keys, err := st.List(ctx, "")
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	owned := map[string]int{}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			t.Errorf("invariant: %s is outside the prefix %q", k, prefix)
		}
		owner := ""
		for id := range byID {
			if strings.Contains(k, "_"+idPart(id)+"_SDR") {
				owner = id
			}
		}
		if owner == "" || byID[owner].Status != report.Success {
			t.Errorf("invariant: %s left for %q (status %q)", k, owner, byID[owner].Status)
		}
		owned[owner]++
		b, err := st.Get(ctx, k)
		if err != nil {
			t.Errorf("get %s: %v", k, err)
			continue
		}
		checkNoSecrets(t, "", string(b))
		if strings.HasSuffix(k, ".xlsx") {
			f, err := excelize.OpenReader(bytes.NewReader(b))
			if err != nil {
				t.Errorf("invariant: %s does not open: %v", k, err)
				continue
			}
			if n := len(f.GetSheetList()); n != 5 {
				t.Errorf("invariant: %s has %d sheets", k, n)
			}
			f.Close()
		}
	}
	for id, r := range byID {
		if r.Status == report.Success && owned[id] != len(r.Outputs) {
			t.Errorf("invariant: %s reports %d outputs, %d stored", id, len(r.Outputs), owned[id])
		}
	}
}

// noTempFiles fails for any .tmp- file left under dir.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("invariant: temporary file left: %s", p)
		}
		return nil
	})
}

// failingS3 fails PutObject for keys containing match, with err.
type failingS3 struct {
	store.S3API
	match string
	err   error
	calls atomic.Int64
}

func (f *failingS3) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if strings.Contains(aws.ToString(in.Key), f.match) {
		f.calls.Add(1)
		return nil, f.err
	}
	return f.S3API.PutObject(ctx, in, opts...)
}

func recordBucket(name string) {
	suite.mu.Lock()
	defer suite.mu.Unlock()
	suite.s3 = append(suite.s3, name)
}

func TestEngineS3BucketMissing(t *testing.T) {
	scenario(t, "s3-bucket-missing")
	m := awstest.Moto(t)
	prefix := "sdr/2025/01/31/run-1/"
	st := store.NewS3(m.S3(t), "cja-sdr-no-such-bucket-faults", prefix)
	gen := &generate.Generator{Fetcher: engineClient(t, newSim(sampleorg.Options{})), Store: st}
	ids := []string{dvProd, dvFrance}
	byID := checkResults(t, ids, runEngine(t, context.Background(), gen, ids))
	for _, id := range ids {
		r := byID[id]
		if r.Status != report.Failed || !strings.Contains(r.Error, "NoSuchBucket") || !strings.Contains(r.Error, idPart(id)) ||
			!strings.Contains(r.Error, "s3://cja-sdr-no-such-bucket-faults/"+prefix) {
			t.Errorf("%s: %s %q", id, r.Status, r.Error)
		}
	}
}

func TestEngineS3PutFailsMidDocument(t *testing.T) {
	scenario(t, "s3-put-fails-mid-document")
	m := awstest.Moto(t)
	bucket := m.NewBucket(t)
	recordBucket(bucket)
	prefix := "sdr/2025/01/31/run-2/"
	// France's JSON upload fails after its workbook went up: the workbook
	// must be deleted, so no half SDR stays in the bucket.
	api := &failingS3{S3API: m.S3(t), match: dvFrance + "_SDR.json", err: errors.New("api error InternalError: We encountered an internal error. Please try again.")}
	st := store.NewS3(api, bucket, prefix)
	gen := &generate.Generator{Fetcher: engineClient(t, newSim(sampleorg.Options{})), Store: st,
		Options: generate.Options{Formats: []string{"excel", "json"}, Prefix: ""}}
	ids := []string{dvProd, dvFrance, dvUnsafe}
	byID := checkResults(t, ids, runEngine(t, context.Background(), gen, ids))
	if r := byID[dvFrance]; r.Status != report.Failed || !strings.Contains(r.Error, "upload s3://"+bucket+"/"+prefix) || !strings.Contains(r.Error, "InternalError") {
		t.Errorf("France: %s %q", r.Status, r.Error)
	}
	if api.calls.Load() != 1 {
		t.Errorf("%d failing uploads, want 1", api.calls.Load())
	}
	checkStore(t, store.NewS3(m.S3(t), bucket, ""), prefix, byID)
}

// TestEngineDynamoDBUnavailable runs the generator Lambda's handler (three
// invocations) with its validation cache table unreachable.
func TestEngineDynamoDBUnavailable(t *testing.T) {
	scenario(t, "dynamodb-unavailable")
	db := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(closedPort(t)), RetryMaxAttempts: 1,
	})
	st := store.NewMemory()
	ids := []string{dvProd, dvFrance, dvUnsafe}
	plan := planRun(t, st, "faults-dynamodb", ids...)
	client := engineClient(t, newSim(sampleorg.Options{}))
	log, logs := logBuffer()
	g := &pipeline.Generator{
		Store: st, OutputPrefix: "sdr/", Log: log,
		Cache:   cache.NewDynamoDB(db, "cja-sdr-validation", time.Hour, nil),
		Fetcher: func(context.Context, int) (cja.Fetcher, error) { return client, nil },
	}
	var results []report.Result
	for i := range ids {
		out, err := g.Handle(context.Background(), pipeline.GenerateInput{RunID: plan.RunID, Index: &i})
		if err != nil || out.Status != report.Success {
			t.Fatalf("%s: %+v %v", ids[i], out, err)
		}
		results = append(results, readRecord(t, st, plan.RunID, ids[i]))
	}
	byID := checkResults(t, ids, results)
	text := logs.String()
	if n := strings.Count(text, "validation cache unavailable"); n != len(ids) {
		t.Errorf("%d cache warnings for %d invocations, want one each:\n%s", n, len(ids), text)
	}
	for _, want := range []string{"level=WARN", "cja-sdr-validation", "connection refused"} {
		if !strings.Contains(text, want) {
			t.Errorf("log lacks %q:\n%s", want, text)
		}
	}
	checkNoSecrets(t, "", text)
	checkStore(t, prefixed{st, "sdr/"}, "", byID)
}

func TestEngineDynamoDBTableMissing(t *testing.T) {
	scenario(t, "dynamodb-table-missing")
	m := awstest.Moto(t)
	testCacheBypassed(t, cache.NewDynamoDB(m.DynamoDB(t), "cja-sdr-no-such-table", time.Hour, nil), "ResourceNotFoundException")
}

// testCacheBypassed runs a batch with an unusable validation cache wrapped
// as the generator Lambda wraps it: every data view succeeds, and the
// failure is logged once as a warning that names the table.
func testCacheBypassed(t *testing.T, c cache.Cache, cause string) {
	t.Helper()
	log, logs := logBuffer()
	var warnings atomic.Int64
	tolerant := cache.Tolerant(c, func(err error) {
		warnings.Add(1)
		log.Warn("validation cache unavailable; checking without it", "error", err.Error())
	})
	st := store.NewMemory()
	gen := &generate.Generator{Fetcher: engineClient(t, newSim(sampleorg.Options{})), Store: st, Cache: tolerant, Log: log}
	ids := []string{dvProd, dvFrance, dvUnsafe}
	byID := checkResults(t, ids, runEngine(t, context.Background(), gen, ids))
	for _, id := range ids {
		if r := byID[id]; r.Status != report.Success || r.CacheHit {
			t.Errorf("%s: %s %q", id, r.Status, r.Error)
		}
	}
	if warnings.Load() != 1 {
		t.Errorf("%d cache warnings, want exactly 1", warnings.Load())
	}
	text := logs.String()
	if !strings.Contains(text, "level=WARN") || !strings.Contains(text, "validation cache") || !strings.Contains(text, cause) {
		t.Errorf("log:\n%s", text)
	}
	checkNoSecrets(t, "", text)
	checkStore(t, st, "", byID)
}

// enospcStore makes every write of keys containing match fail after a few
// kilobytes with ENOSPC, as a full disk does.
type enospcStore struct {
	store.Store
	match string
}

type fullDisk struct {
	w    io.Writer
	left int
}

func (f *fullDisk) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n, _ := f.w.Write(p[:f.left])
		f.left = 0
		return n, &os.PathError{Op: "write", Path: "sdr", Err: syscall.ENOSPC}
	}
	f.left -= len(p)
	return f.w.Write(p)
}

func (s enospcStore) Put(ctx context.Context, key string, write func(io.Writer) error) (store.Object, error) {
	if !strings.Contains(key, s.match) {
		return s.Store.Put(ctx, key, write)
	}
	return s.Store.Put(ctx, key, func(w io.Writer) error { return write(&fullDisk{w: w, left: 4096}) })
}

func TestEngineDiskFull(t *testing.T) {
	scenario(t, "disk-full")
	dir := workDir(t)
	d, err := store.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// France's CSV files hit a full disk after its workbook was written.
	st := enospcStore{Store: d, match: dvFrance + "_SDR_csv/"}
	gen := &generate.Generator{Fetcher: engineClient(t, newSim(sampleorg.Options{})), Store: st,
		Options: generate.Options{Formats: []string{"excel", "csv"}}}
	ids := []string{dvProd, dvFrance}
	byID := checkResults(t, ids, runEngine(t, context.Background(), gen, ids))
	if r := byID[dvFrance]; r.Status != report.Failed || !strings.Contains(r.Error, "no space left on device") || !strings.Contains(r.Error, dvFrance) {
		t.Errorf("France: %s %q", r.Status, r.Error)
	}
	checkStore(t, d, "", byID)
	noTempFiles(t, dir)
}

// cancellingStore cancels the run when the n-th object is being written,
// like Ctrl-C arriving while an SDR is half stored.
type cancellingStore struct {
	store.Store
	cancel context.CancelFunc
	n      int64
	puts   atomic.Int64
}

func (s *cancellingStore) Put(ctx context.Context, key string, write func(io.Writer) error) (store.Object, error) {
	if s.puts.Add(1) == s.n {
		return s.Store.Put(ctx, key, func(w io.Writer) error {
			if _, err := io.WriteString(w, "partial"); err != nil {
				return err
			}
			s.cancel()
			return write(w)
		})
	}
	return s.Store.Put(ctx, key, write)
}

func TestEngineCancelWhileWriting(t *testing.T) {
	scenario(t, "cancel-while-writing")
	dir := workDir(t)
	d, err := store.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// One data view at a time, every format: the third object (a CSV sheet,
	// after the workbook and one CSV) is being written when the run stops.
	st := &cancellingStore{Store: d, cancel: cancel, n: 3}
	gen := &generate.Generator{Fetcher: engineClient(t, newSim(sampleorg.Options{})), Store: st,
		Options: generate.Options{Formats: []string{"excel", "csv", "json", "html", "markdown"}}}
	ids := []string{dvProd, dvFrance}
	results := batch.Run(ctx, ids, batch.Options{Workers: 1}, gen.Generate)
	byID := checkResults(t, ids, results)
	if r := byID[dvProd]; r.Status != report.Cancelled {
		t.Errorf("in-flight data view: %s %q", r.Status, r.Error)
	}
	if r := byID[dvFrance]; r.Status != report.Skipped {
		t.Errorf("queued data view: %s %q", r.Status, r.Error)
	}
	checkStore(t, d, "", byID)
	noTempFiles(t, dir)
}

// TestEngineChaos is a chaos run: random 429s,
// 503s, resets and HTML pages on a fifth of the requests, over 40 data
// views. Whatever fails, each data view comes back exactly once and only
// the successful ones have files.
func TestEngineChaos(t *testing.T) {
	scenario(t, "chaos")
	var mu sync.Mutex
	kinds := []sampleorg.Fault{sampleorg.FaultThrottled, sampleorg.FaultUnavailable, sampleorg.FaultReset, sampleorg.FaultNotJSON}
	next := 0
	pick := func() sampleorg.Fault {
		mu.Lock()
		defer mu.Unlock()
		next++
		return kinds[next%len(kinds)]
	}
	sim := newSim(sampleorg.Options{Synthetic: 40, Faults: onCJA(func(r *http.Request, seq int64) *sampleorg.Fault {
		if sampleorg.Random(0.2, 7, sampleorg.Fault{})(r, seq) == nil {
			return nil
		}
		f := pick()
		return &f
	})})
	dir := workDir(t)
	d, _ := store.NewDir(dir)
	gen := &generate.Generator{Fetcher: engineClient(t, sim), Store: d}
	ids := sim.DataViewIDs()
	results := batch.Run(context.Background(), ids, batch.Options{Workers: 8, ContinueOnError: true}, gen.Generate)
	byID := checkResults(t, ids, results)
	n := map[report.Status]int{}
	for _, r := range byID {
		n[r.Status]++
	}
	if n[report.Success] == 0 || n[report.Success]+n[report.Failed] != len(ids) {
		t.Errorf("statuses %v", n)
	}
	checkStore(t, d, "", byID)
	noTempFiles(t, dir)
}
