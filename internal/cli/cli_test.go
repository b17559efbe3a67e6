package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
	"github.com/cja-sdr/cja-sdr/internal/syncbuf"
)

type result struct {
	code           int
	stdout, stderr string
	dir            string
}

// run drives the command in a fresh working directory with the given
// environment variables (the process environment is never read).
func runIn(t *testing.T, dir string, env map[string]string, demo *sampleorg.Server, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["CJA_CACHE_DIR"]; !ok {
		env["CJA_CACHE_DIR"] = filepath.Join(dir, "cache")
	}
	code := Run(context.Background(), Env{
		Args: args, Stdout: &out, Stderr: &errb, WorkDir: dir,
		Getenv: func(k string) string { return env[k] }, Demo: demo,
	})
	return result{code, out.String(), errb.String(), dir}
}

func run(t *testing.T, args ...string) result {
	return runIn(t, t.TempDir(), nil, nil, args...)
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func TestNoIDsPrintsUsageAndFails(t *testing.T) {
	r := run(t)
	if r.code != ExitFailure {
		t.Fatalf("exit %d", r.code)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if !strings.HasPrefix(lines[0], "usage: ") || !strings.HasSuffix(lines[0], "DATA_VIEW_ID [DATA_VIEW_ID ...]") {
		t.Fatalf("first line %q", lines[0])
	}
	if !strings.HasSuffix(lines[1], "error: the following arguments are required: DATA_VIEW_ID") {
		t.Fatalf("second line %q", lines[1])
	}
}

func TestInvalidIDsListedLikeTheReference(t *testing.T) {
	r := run(t, "--demo", "invalid_id", "dv_ok", "test123")
	want := "ERROR: Invalid data view ID format: invalid_id, test123\n" +
		"       Data view IDs should start with 'dv_'\n" +
		"       Example: dv_677ea9291244fd082f02dd42\n"
	if r.code != ExitFailure || r.stderr != want {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestBoundsMessages(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--workers", "0"}, "ERROR: --workers must be at least 1"},
		{[]string{"--workers=257"}, "ERROR: --workers cannot exceed 256"},
		{[]string{"--cache-size", "0"}, "ERROR: --cache-size must be at least 1"},
		{[]string{"--cache-ttl", "0"}, "ERROR: --cache-ttl must be at least 1 second"},
		{[]string{"--max-issues", "-1"}, "ERROR: --max-issues cannot be negative"},
		{[]string{"--format", "pdf"}, "ERROR: "},
		{[]string{"--log-level", "LOUD"}, "invalid choice: 'LOUD'"},
		{[]string{"--workers", "many"}, "argument --workers: invalid int value: 'many'"},
		{[]string{"--bogus"}, "unrecognized arguments: --bogus"},
		{[]string{"--workers"}, "expected one argument"},
	} {
		r := run(t, append([]string{"dv_1"}, tc.args...)...)
		if r.code != ExitFailure || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, r.code, r.stderr, tc.msg)
		}
		if len(files(t, r.dir)) != 0 {
			t.Errorf("%v wrote files: %v", tc.args, files(t, r.dir))
		}
	}
}

func TestVersionHelpSampleConfig(t *testing.T) {
	if r := run(t, "--version"); r.code != 0 || !strings.Contains(r.stdout, Version) {
		t.Fatalf("--version: %d %q", r.code, r.stdout)
	}
	r := run(t, "-h")
	for _, want := range []string{"--workers N", "--continue-on-error", "--demo", "examples:", "cja-sdr --batch $(cat dataviews.txt)"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Fatalf("help lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, "--sample-config")
	b, err := os.ReadFile(filepath.Join(r.dir, "myconfig.sample.json"))
	if r.code != 0 || err != nil {
		t.Fatalf("sample config: %d %v", r.code, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m["client_id"] == nil || m["org_id"] == nil {
		t.Fatalf("sample config content %s: %v", b, err)
	}
}

func TestSingleModeDemo(t *testing.T) {
	r := run(t, "--demo", sampleorg.ProductionDataViewID)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"SUCCESS: SDR generated for Production Analytics", "Output: ", "Size: ", "KB",
		"Metrics: 30, Dimensions: 104", "Data Quality Issues: ", "Total runtime: "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	fs := files(t, r.dir)
	var xlsx, logs int
	for _, f := range fs {
		if f == "CJA_DataView_Production_Analytics_"+sampleorg.ProductionDataViewID+"_SDR.xlsx" {
			xlsx++
		}
		if strings.HasPrefix(f, "logs/SDR_Generation_"+sampleorg.ProductionDataViewID+"_") && strings.HasSuffix(f, ".log") {
			logs++
		}
	}
	if xlsx != 1 || logs != 1 {
		t.Fatalf("files %v", fs)
	}
}

func TestSingleModeFailureExitsOne(t *testing.T) {
	r := run(t, "--demo", "dv_doesnotexist")
	if r.code != ExitFailure || !strings.Contains(r.stdout, "FAILED: Data view validation failed") {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
}

func TestBatchStopsAtFirstFailureAndListsEveryID(t *testing.T) {
	ids := []string{sampleorg.EmptyDataViewID, sampleorg.ProductionDataViewID, sampleorg.MessyDataViewID, sampleorg.LargeDataViewID}
	// One worker makes the order deterministic: the empty data view fails
	// first and nothing after it starts.
	r := run(t, append([]string{"--demo", "--workers", "1"}, ids...)...)
	if r.code != ExitFailure {
		t.Fatalf("exit %d", r.code)
	}
	for _, want := range []string{"Processing 4 data view(s) in batch mode with 1 workers...", "Total data views: 4", "Failed: 1", "Not started: 3", "Not Started Data Views:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, id := range ids {
		if n := strings.Count(r.stdout, id); n != 1 {
			t.Errorf("%s appears %d times in the summary", id, n)
		}
	}
	if !strings.Contains(r.stderr, "BATCH PROCESSING START") || !strings.Contains(r.stderr, "ERROR - ✗ "+sampleorg.EmptyDataViewID+": FAILED - No metrics or dimensions found") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

func TestBatchContinueOnErrorAndDuplicates(t *testing.T) {
	r := run(t, "--demo", "--continue-on-error", "--workers", "3", "--format", "all",
		sampleorg.ProductionDataViewID, "dv_missing", sampleorg.ProductionDataViewID, sampleorg.FormulaDataViewID)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	for _, want := range []string{"Total data views: 3", "Successful: 2", "Failed: 1", "Success rate: 66.7%", "Throughput: "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	var counts = map[string]int{}
	for _, f := range files(t, r.dir) {
		counts[filepath.Ext(f)]++
	}
	// Two SDRs in every format; CSV is five sheets each.
	if counts[".xlsx"] != 2 || counts[".json"] != 2 || counts[".html"] != 2 || counts[".md"] != 2 || counts[".csv"] != 10 || counts[".log"] != 1 {
		t.Fatalf("files by extension: %v", counts)
	}
}

func TestAllDemo(t *testing.T) {
	demo := sampleorg.New(sampleorg.Options{})
	r := runIn(t, t.TempDir(), nil, demo, "--demo", "--all", "--continue-on-error", "-q", "--output-dir", "out")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	ids := demo.DataViewIDs()
	if !strings.Contains(r.stdout, "Total data views: "+itoa(len(ids))) {
		t.Fatalf("stdout:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "Processing ") || strings.Contains(r.stderr, "INFO") {
		t.Fatalf("--quiet printed progress:\n%s\n%s", r.stdout, r.stderr)
	}
	xlsx := 0
	for _, f := range files(t, filepath.Join(r.dir, "out")) {
		if strings.HasSuffix(f, ".xlsx") {
			xlsx++
		}
	}
	if xlsx != len(ids)-1 { // the empty data view fails, as in the reference tool
		t.Fatalf("%d workbooks for %d data views", xlsx, len(ids))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestListDataViews(t *testing.T) {
	r := run(t, "--demo", "--list-dataviews", "--format", "json")
	var got struct {
		DataViews []struct{ ID, Name, Owner string } `json:"dataViews"`
		Count     int                                `json:"count"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil || got.Count == 0 || got.Count != len(got.DataViews) {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
	r = run(t, "--demo", "--list-dataviews")
	if r.code != 0 || !strings.Contains(r.stdout, "Production Analytics") || !strings.Contains(r.stdout, "ID ") {
		t.Fatalf("table: %s", r.stdout)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	r := run(t, "--demo", "--dry-run", sampleorg.ProductionDataViewID, "dv_missing")
	if r.code != ExitFailure || !strings.Contains(r.stdout, "✓ "+sampleorg.ProductionDataViewID) || !strings.Contains(r.stdout, "✗ dv_missing") {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if fs := files(t, r.dir); len(fs) != 0 {
		t.Fatalf("dry run wrote %v", fs)
	}
	if r := run(t, "--demo", "--validate-only", sampleorg.ProductionDataViewID); r.code != 0 {
		t.Fatalf("validate-only exit %d\n%s", r.code, r.stdout)
	}
}

func TestCacheHitsOnSecondRun(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--demo", "--enable-cache", "--workers", "2", sampleorg.ProductionDataViewID, sampleorg.MessyDataViewID}
	first := runIn(t, dir, nil, nil, args...)
	second := runIn(t, dir, nil, nil, args...)
	if first.code != 0 || second.code != 0 {
		t.Fatalf("exits %d %d", first.code, second.code)
	}
	if !strings.Contains(first.stderr, "Validation cache: 0 hits, 2 misses") || !strings.Contains(second.stderr, "Validation cache: 2 hits, 0 misses") {
		t.Fatalf("first:\n%s\nsecond:\n%s", first.stderr, second.stderr)
	}
	third := runIn(t, dir, nil, nil, append([]string{"--clear-cache"}, args...)...)
	if !strings.Contains(third.stderr, "Validation cache: 0 hits, 2 misses") {
		t.Fatalf("after --clear-cache:\n%s", third.stderr)
	}
}

func TestInterruptedBatchExits130WithNoPartialFiles(t *testing.T) {
	demo := sampleorg.New(sampleorg.Options{Latency: 50 * time.Millisecond, Synthetic: 40})
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	// The test polls stderr while the run writes it: a locked buffer.
	var out, errb syncbuf.Buffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, Env{Args: []string{"--demo", "--all", "--workers", "4", "--output-dir", "out"},
			Stdout: &out, Stderr: &errb, WorkDir: dir, Getenv: func(string) string { return "" }, Demo: demo})
	}()
	// Interrupt once some data views have finished (like a user pressing Ctrl-C).
	for !strings.Contains(errb.String(), "SUCCESS") {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	code := <-done
	if code != ExitInterrupted {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "BATCH PROCESSING SUMMARY") || !strings.Contains(out.String(), "Not started: ") {
		t.Fatalf("summary:\n%s", out.String())
	}
	for _, id := range demo.DataViewIDs() {
		if n := strings.Count(out.String(), id); n != 1 {
			t.Errorf("%s appears %d times", id, n)
		}
	}
	for _, f := range files(t, filepath.Join(dir, "out")) {
		if !strings.HasSuffix(f, "_SDR.xlsx") {
			t.Errorf("partial file left: %s", f)
		}
	}
}

// The command talks to a real HTTP server (the simulator on a socket),
// configured only through myconfig.json, and a wrong secret never shows up.
func TestConfigFileAgainstHTTPServerAndBadSecret(t *testing.T) {
	sim := sampleorg.New(sampleorg.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	creds := sampleorg.DemoCredentials()
	write := func(dir, secret string) {
		cfg := map[string]any{"org_id": creds.OrgID, "client_id": creds.ClientID, "secret": secret,
			"scopes": creds.Scopes, "ims_url": srv.URL, "cja_url": srv.URL}
		b, _ := json.Marshal(cfg)
		os.WriteFile(filepath.Join(dir, "myconfig.json"), b, 0o600)
	}
	dir := t.TempDir()
	write(dir, creds.Secret)
	r := runIn(t, dir, nil, nil, sampleorg.ProductionDataViewID)
	if r.code != 0 || !strings.Contains(r.stdout, "Metrics: 30, Dimensions: 104") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	dir = t.TempDir()
	const wrong = "p8e-WRONG-SECRET-value-123"
	write(dir, wrong)
	r = runIn(t, dir, nil, nil, "--batch", sampleorg.ProductionDataViewID, sampleorg.MessyDataViewID)
	if r.code != ExitFailure || !strings.Contains(r.stderr, "CJA initialization failed") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, f := range files(t, dir) {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if strings.Contains(string(b), wrong) && f != "myconfig.json" {
			t.Errorf("secret written to %s", f)
		}
		if strings.HasSuffix(f, ".xlsx") {
			t.Errorf("SDR written despite failed authentication: %s", f)
		}
	}
	if strings.Contains(r.stdout+r.stderr, wrong) {
		t.Fatal("secret printed")
	}
}

func TestMissingConfigSaysWhatToDo(t *testing.T) {
	r := run(t, "dv_123")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "CJA initialization failed") || !strings.Contains(r.stderr, "--sample-config") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}

func TestUnwritableOutputDir(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, []byte("x"), 0o600)
	r := runIn(t, dir, nil, nil, "--demo", "--output-dir", filepath.Join(blocker, "sub"), sampleorg.ProductionDataViewID)
	if r.code != ExitFailure || !strings.Contains(r.stderr, "output") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}

// A dry run of --all checks every data view of the one listing it makes. It
// used to list twice and ignore the second listing's error: a failure there
// checked nothing, said "0 of 0 data view(s) ready" and exited 0.
func TestDryRunAllListsOnce(t *testing.T) {
	var lists atomic.Int64
	demo := sampleorg.New(sampleorg.Options{Faults: func(r *http.Request, _ int64) *sampleorg.Fault {
		if r.URL.Path == "/data/dataviews" && lists.Add(1) > 1 {
			return &sampleorg.Fault{Status: http.StatusBadRequest, Body: `{"errorCode":"bad_request","errorDescription":"listed twice"}`}
		}
		return nil
	}})
	r := runIn(t, t.TempDir(), nil, demo, "--demo", "--dry-run", "--all")
	ids := demo.DataViewIDs()
	if want := fmt.Sprintf("of %d data view(s) ready", len(ids)); !strings.Contains(r.stdout, want) {
		t.Fatalf("stdout lacks %q:\n%s", want, r.stdout)
	}
	if n := lists.Load(); n != 1 {
		t.Errorf("listed data views %d times, want once", n)
	}
	if r.code != ExitFailure { // the sample organisation's empty data view fails the check
		t.Errorf("exit %d, want %d", r.code, ExitFailure)
	}
}

// A listing that names a data view twice (offset paging while data views are
// added or removed) must not generate it twice nor list it twice.
func TestAllProcessesAListedDataViewOnce(t *testing.T) {
	body := fmt.Sprintf(`{"content":[{"id":%q,"name":"Production Analytics"},{"id":%q,"name":"Messy"},{"id":%q,"name":"Production Analytics"}],"last":true,"number":0,"totalPages":1}`,
		sampleorg.ProductionDataViewID, sampleorg.MessyDataViewID, sampleorg.ProductionDataViewID)
	demo := sampleorg.New(sampleorg.Options{Faults: func(r *http.Request, _ int64) *sampleorg.Fault {
		if r.URL.Path == "/data/dataviews" {
			return &sampleorg.Fault{Status: http.StatusOK, Body: body}
		}
		return nil
	}})
	r := runIn(t, t.TempDir(), nil, demo, "--demo", "--all", "--workers", "2")
	if r.code != ExitOK || !strings.Contains(r.stdout, "Total data views: 2\n") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := strings.Count(r.stdout, sampleorg.ProductionDataViewID); n != 1 {
		t.Errorf("%s appears %d times in the summary", sampleorg.ProductionDataViewID, n)
	}
}

// Like argparse, a unique prefix of a long flag works; an ambiguous one is
// refused with the candidates.
func TestAbbreviatedFlags(t *testing.T) {
	r := run(t, "--demo", "--work", "2", "--output", "out", "--batch", sampleorg.ProductionDataViewID)
	if r.code != 0 || !strings.Contains(r.stdout, "with 2 workers") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if fs := files(t, filepath.Join(r.dir, "out")); len(fs) != 1 {
		t.Fatalf("--output did not mean --output-dir: %v", files(t, r.dir))
	}
	r = run(t, "--c", "x", "dv_1")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "ambiguous option: --c could match --config-file, --continue-on-error, --clear-cache, --cache-size, --cache-ttl") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}
