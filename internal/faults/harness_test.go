package faults

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/cli"
	"github.com/cja-sdr/cja-sdr/internal/dataviews"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
	"github.com/cja-sdr/cja-sdr/internal/sdr"
	"github.com/cja-sdr/cja-sdr/internal/syncbuf"
)

// suite is what every scenario left behind: work directories, console
// output, and the secrets and tokens that must never show up in any of it.
var suite struct {
	root string

	mu      sync.Mutex
	dirs    []string
	texts   []string
	secrets map[string]bool
	tokens  map[string]bool
	s3      []string // buckets the engine scenarios wrote to
}

func addSecret(s string) {
	suite.mu.Lock()
	defer suite.mu.Unlock()
	if suite.secrets == nil {
		suite.secrets = map[string]bool{}
	}
	suite.secrets[s] = true
}

func recordToken(tok string) {
	if tok == "" {
		return
	}
	suite.mu.Lock()
	defer suite.mu.Unlock()
	if suite.tokens == nil {
		suite.tokens = map[string]bool{}
	}
	suite.tokens[tok] = true
}

func recordText(s string) {
	suite.mu.Lock()
	defer suite.mu.Unlock()
	suite.texts = append(suite.texts, s)
}

// workDir is a fresh directory under the suite root, kept until the suite ends.
func workDir(t testing.TB) string {
	t.Helper()
	name := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(t.Name(), "_")
	if len(name) > 60 {
		name = name[len(name)-60:]
	}
	dir, err := os.MkdirTemp(suite.root, name+"-")
	if err != nil {
		t.Fatal(err)
	}
	suite.mu.Lock()
	suite.dirs = append(suite.dirs, dir)
	suite.mu.Unlock()
	return dir
}

// simToken is the simulator's n-th access token. The simulator documents its
// tokens as deterministic; the formula is repeated here so the secret scan can
// look for tokens that were issued but never sent anywhere it could see.
// TestSimTokenFormula keeps it honest.
func simToken(n int64) string {
	clientID := sampleorg.DemoCredentials().ClientID
	claims := fmt.Sprintf(`{"type":"access_token","client_id":%q,"as":"ims-sample","n":%d}`, clientID, n)
	sig := sha256.Sum256([]byte("sampleorg token\x00" + claims))
	return "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." +
		base64.RawURLEncoding.EncodeToString([]byte(claims)) + "." +
		base64.RawURLEncoding.EncodeToString(sig[:])
}

// newSim is sampleorg.New whose fault hook first records every bearer token
// the client sends.
func newSim(opts sampleorg.Options) *sampleorg.Server {
	inner := opts.Faults
	opts.Faults = func(r *http.Request, seq int64) *sampleorg.Fault {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			recordToken(tok)
		}
		if inner != nil {
			return inner(r, seq)
		}
		return nil
	}
	return sampleorg.New(opts)
}

// tokenSpy records the access tokens IMS hands out over a real socket.
type tokenSpy struct{ next http.RoundTripper }

func (s tokenSpy) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, "/ims/token/v3") {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(b, &m) == nil {
		recordToken(m.AccessToken)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, err
}

// setup says how a CLI run reaches its simulator.
type setup struct {
	// sim answers the run (a healthy one when nil).
	sim *sampleorg.Server
	// config runs the command with myconfig.json pointing at sim served
	// over a real socket, instead of --demo with sim in-process.
	config bool
	// configJSON overrides keys of that config (a nil value removes one).
	configJSON map[string]any
	// tweak adjusts the API client after the suite's defaults (5 s request
	// time-out, waits recorded instead of slept).
	tweak func(*cja.Config)
	ctx   context.Context
	env   map[string]string
	// prepare runs in the work directory before the command.
	prepare func(t *testing.T, dir string)
	// foreignFiles allows SDR files named after no requested data view
	// (the API answered with another id).
	foreignFiles bool
}

// cliRun is one command run and what it left.
type cliRun struct {
	code           int
	stdout, stderr string
	dir, out       string
	args           []string
	sim            *sampleorg.Server
	foreign        bool

	mu    sync.Mutex
	waits []time.Duration
}

func (r *cliRun) console() string { return r.stdout + r.stderr }

func (r *cliRun) recordedWaits() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.waits)
}

// logText is every log file the run wrote.
func (r *cliRun) logText() string {
	var b strings.Builder
	matches, _ := filepath.Glob(filepath.Join(r.dir, "logs", "*.log"))
	for _, m := range matches {
		data, _ := os.ReadFile(m)
		b.Write(data)
	}
	return b.String()
}

// runCLI runs the command in a fresh work directory. SDRs go to "out"
// unless args name another --output-dir.
func runCLI(t *testing.T, s setup, args ...string) *cliRun {
	t.Helper()
	if s.sim == nil {
		s.sim = newSim(sampleorg.Options{})
	}
	dir := workDir(t)
	r := &cliRun{dir: dir, out: filepath.Join(dir, "out"), sim: s.sim, foreign: s.foreignFiles}
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--output-dir") }) {
		args = append([]string{"--output-dir", "out"}, args...)
	}
	env := map[string]string{"CJA_CACHE_DIR": filepath.Join(dir, "cache")}
	for k, v := range s.env {
		env[k] = v
	}
	creds := sampleorg.DemoCredentials()
	addSecret(creds.Secret)
	var httpClient *http.Client
	if s.config {
		srv := httptest.NewServer(s.sim)
		tr := http.DefaultTransport.(*http.Transport).Clone()
		t.Cleanup(func() { tr.CloseIdleConnections(); srv.Close() })
		httpClient = &http.Client{Transport: tokenSpy{tr}}
		cfg := map[string]any{"org_id": creds.OrgID, "client_id": creds.ClientID, "secret": creds.Secret,
			"scopes": creds.Scopes, "ims_url": srv.URL, "cja_url": srv.URL, "rate_limit": 1000}
		for k, v := range s.configJSON {
			if v == nil {
				delete(cfg, k)
			} else {
				cfg[k] = v
			}
			if k == "secret" {
				if sv, ok := v.(string); ok {
					addSecret(sv)
				}
			}
		}
		b, _ := json.Marshal(cfg)
		if err := os.WriteFile(filepath.Join(dir, "myconfig.json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	} else if !slices.Contains(args, "--demo") {
		args = append([]string{"--demo"}, args...)
	}
	if s.prepare != nil {
		s.prepare(t, dir)
	}
	r.args = args
	ctx := s.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	var out, errb syncbuf.Buffer
	r.code = cli.Run(ctx, cli.Env{
		Args: args, Stdout: &out, Stderr: &errb, WorkDir: dir,
		Getenv:     func(k string) string { return env[k] },
		Demo:       s.sim,
		HTTPClient: httpClient,
		ClientConfig: func(c *cja.Config) {
			c.RequestTimeout = 5 * time.Second
			c.Sleep = func(ctx context.Context, d time.Duration) error {
				r.mu.Lock()
				r.waits = append(r.waits, d)
				r.mu.Unlock()
				return ctx.Err()
			}
			if s.tweak != nil {
				s.tweak(c)
			}
		},
	})
	r.stdout, r.stderr = out.String(), errb.String()
	recordText(r.stdout)
	recordText(r.stderr)
	return r
}

// flagsWithValue are the command's flags that take the next argument.
var flagsWithValue = map[string]bool{
	"--workers": true, "--output-dir": true, "--config-file": true, "--log-level": true,
	"--cache-size": true, "--cache-ttl": true, "--format": true, "--max-issues": true,
}

// requested is what the run asked for: the positional IDs, normalised as
// the command does, or every listed data view with --all.
func (r *cliRun) requested() (ids []string, batch bool) {
	var raw []string
	all := false
	for i := 0; i < len(r.args); i++ {
		a := r.args[i]
		switch {
		case a == "--":
			raw = append(raw, r.args[i+1:]...)
			i = len(r.args)
		case a == "--batch":
			batch = true
		case a == "--all":
			all = true
		case flagsWithValue[a]:
			i++
		case strings.HasPrefix(a, "-") && a != "-":
		default:
			raw = append(raw, a)
		}
	}
	if all {
		return r.sim.DataViewIDs(), true
	}
	ids, _ = dataviews.Normalize(raw)
	return ids, batch || len(ids) > 1
}

// outcome is what the run reported for each requested data view.
type outcome struct {
	// mode is "batch" (a summary block), "single" (the single-mode block)
	// or "none" (the run stopped before any data view started).
	mode   string
	status map[string]report.Status
	reason map[string]string
}

var (
	summaryEntry = regexp.MustCompile(`^  ([✓✗-]) (\S+)\s*(.*)$`)
	sections     = map[string]report.Status{
		"Successful Data Views:": report.Success, "Failed Data Views:": report.Failed,
		"Cancelled Data Views:": report.Cancelled, "Not Started Data Views:": report.Skipped,
	}
	// advice is how a message tells the user what to do next.
	advice = regexp.MustCompile(`check |retry later|lower --workers|ask an admin|choose another|--continue-on-error|run (it )?again|report it|CJA_CACHE_DIR|--sample-config|split it|add (metrics|components)|--list-dataviews|free (up )?space|writable|use --format`)
)

// checkInvariant holds the suite's invariant on a run, whatever happened in
// it: every requested data view appears exactly once in the summary (or
// the single-mode block), with a status; a failure says what to do; no
// temporary or partial file remains; only successful data views have SDR
// files, and those are complete; nothing is written outside the output
// directory, logs/ and the cache directory; no secret or token anywhere.
func checkInvariant(t *testing.T, r *cliRun) outcome {
	t.Helper()
	ids, batch := r.requested()
	o := outcome{status: map[string]report.Status{}, reason: map[string]string{}}
	switch {
	case strings.Contains(r.stdout, "BATCH PROCESSING SUMMARY"):
		o.mode = "batch"
		block := r.stdout[strings.Index(r.stdout, "BATCH PROCESSING SUMMARY"):]
		if !strings.Contains(block, fmt.Sprintf("Total data views: %d\n", len(ids))) {
			t.Errorf("invariant: summary total is not %d:\n%s", len(ids), block)
		}
		seen := map[string]int{}
		current := report.Status("")
		for _, line := range strings.Split(block, "\n") {
			if st, ok := sections[line]; ok {
				current = st
				continue
			}
			m := summaryEntry.FindStringSubmatch(line)
			if m == nil || current == "" {
				continue
			}
			seen[m[2]]++
			o.status[m[2]] = current
			o.reason[m[2]] = m[3]
		}
		for _, id := range ids {
			if seen[id] != 1 {
				t.Errorf("invariant: %s appears %d times in the summary", id, seen[id])
			}
		}
		for id := range seen {
			if !slices.Contains(ids, id) {
				t.Errorf("invariant: the summary lists %s, which was not requested", id)
			}
		}
		if !batch {
			t.Errorf("invariant: a single data view run printed a batch summary")
		}
		if logs := r.logText(); !strings.Contains(logs, "BATCH PROCESSING SUMMARY") {
			t.Errorf("invariant: the batch log has no summary")
		}
	case !batch && len(ids) == 1 && (strings.Contains(r.stdout, "SUCCESS: SDR generated for") || strings.Contains(r.stdout, "FAILED: ")):
		o.mode = "single"
		id := ids[0]
		succ := strings.Count(r.stdout, "SUCCESS: SDR generated for")
		fail := strings.Count(r.stdout, "FAILED: ")
		if succ+fail != 1 {
			t.Errorf("invariant: single mode printed %d SUCCESS and %d FAILED lines", succ, fail)
		}
		if succ == 1 {
			o.status[id] = report.Success
		} else {
			o.status[id] = report.Failed
			if r.code == cli.ExitInterrupted {
				o.status[id] = report.Cancelled
			}
			line := r.stdout[strings.Index(r.stdout, "FAILED: "):]
			o.reason[id], _, _ = strings.Cut(line, "\n")
			if !strings.Contains(r.stderr, "✗ "+id+": ") {
				t.Errorf("invariant: no error line naming %s on stderr:\n%s", id, r.stderr)
			}
		}
		if !strings.Contains(r.stdout, "Total runtime: ") {
			t.Errorf("invariant: single mode did not end with the runtime")
		}
	default:
		o.mode = "none"
		if r.code == cli.ExitOK {
			t.Errorf("invariant: exit 0 without processing anything")
		}
		if r.sim != nil {
			st := r.sim.Stats()
			for _, id := range ids {
				if n := st.RequestsByDataView[id]; n > 0 {
					t.Errorf("invariant: %s was requested from the API %d times but appears in no summary", id, n)
				}
			}
		}
	}
	for id, st := range o.status {
		if st != report.Success && !advice.MatchString(o.reason[id]) {
			t.Errorf("invariant: %s %s without saying what to do: %q", id, st, o.reason[id])
		}
	}
	for _, line := range strings.Split(r.console(), "\n") {
		if strings.Count(line, "CJA initialization failed") > 1 {
			t.Errorf("a message says \"CJA initialization failed\" twice: %q", line)
		}
	}
	checkFiles(t, r, ids, o)
	checkNoSecrets(t, r.dir, r.console())
	logSeen(t, r, o)
	return o
}

// logSeen shows (with -v) what the user saw: the exit code, the error and
// warning lines, and each data view that did not succeed with its reason.
func logSeen(t *testing.T, r *cliRun, o outcome) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "exit %d, %s", r.code, o.mode)
	for _, line := range strings.Split(r.stderr, "\n") {
		if strings.Contains(line, " - ERROR - ") || strings.Contains(line, " - WARNING - ") || strings.HasPrefix(line, "ERROR") || strings.Contains(line, "cja-sdr: error:") {
			fmt.Fprintf(&b, "\n  stderr: %.300s", line)
		}
	}
	for id, st := range o.status {
		if st != report.Success {
			fmt.Fprintf(&b, "\n  %s %s: %.300s", st, id, o.reason[id])
		}
	}
	t.Log(b.String())
}

// idPart is how id appears in an SDR file name (long ids are cut).
func idPart(id string) string {
	return strings.TrimSuffix(strings.TrimPrefix(sdr.BaseName("x", id), "CJA_DataView_x_"), "_SDR")
}

// checkFiles walks the work directory: nothing half-written, nothing for a
// data view that did not succeed, nothing outside the allowed places, and
// every SDR complete.
func checkFiles(t *testing.T, r *cliRun, ids []string, o outcome) {
	t.Helper()
	outputs := map[string]int{}
	filepath.WalkDir(r.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			t.Errorf("invariant: walk %s: %v", p, err)
			return nil
		}
		rel, _ := filepath.Rel(r.dir, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("invariant: temporary file left behind: %s", rel)
		}
		if d.IsDir() {
			return nil
		}
		switch {
		case rel == "myconfig.json", rel == "logs", strings.HasPrefix(rel, "cache/"), strings.HasPrefix(rel, "blocker"):
			// The config and the obstacles the scenario put there.
			return nil
		case strings.HasPrefix(rel, "logs/"):
			if !regexp.MustCompile(`^logs/SDR_(Batch_Generation|Generation_dv_[A-Za-z0-9_-]+)_\d{8}_\d{6}\.log$`).MatchString(rel) {
				t.Errorf("invariant: unexpected log file %s", rel)
			}
			return nil
		case !strings.HasPrefix(rel, "out/"):
			t.Errorf("invariant: file written outside the output directory: %s", rel)
			return nil
		}
		owner := ""
		for _, id := range ids {
			if strings.Contains(d.Name(), "_"+idPart(id)+"_SDR") || strings.Contains(rel, "_"+idPart(id)+"_SDR_csv/") {
				owner = id
			}
		}
		switch {
		case owner == "" && !r.foreign:
			t.Errorf("invariant: %s belongs to no requested data view", rel)
		case owner != "" && o.status[owner] != report.Success:
			t.Errorf("invariant: %s left for %s, which ended %q", rel, owner, o.status[owner])
		}
		outputs[owner]++
		checkComplete(t, p)
		return nil
	})
	for _, id := range ids {
		if o.status[id] == report.Success && outputs[id] == 0 && !r.foreign {
			t.Errorf("invariant: %s succeeded but no SDR file was written", id)
		}
	}
}

// checkComplete opens an SDR file with the reader of its format.
func checkComplete(t *testing.T, p string) {
	t.Helper()
	switch filepath.Ext(p) {
	case ".xlsx":
		f, err := excelize.OpenFile(p)
		if err != nil {
			t.Errorf("invariant: %s does not open: %v", p, err)
			return
		}
		defer f.Close()
		if got := f.GetSheetList(); !slices.Equal(got, []string{"Metadata", "Data Quality", "DataView", "Metrics", "Dimensions"}) {
			t.Errorf("invariant: %s has sheets %v", p, got)
		}
	case ".json":
		b, _ := os.ReadFile(p)
		if !json.Valid(b) {
			t.Errorf("invariant: %s is not valid JSON", p)
		}
	case ".csv":
		f, err := os.Open(p)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if _, err := csv.NewReader(f).ReadAll(); err != nil {
			t.Errorf("invariant: %s is not valid CSV: %v", p, err)
		}
	case ".html", ".md":
		if info, err := os.Stat(p); err != nil || info.Size() == 0 {
			t.Errorf("invariant: %s is empty", p)
		}
	default:
		t.Errorf("invariant: unexpected output %s", p)
	}
}

// needles are the secrets and tokens seen so far, plus the simulator's
// first tokens (deterministic), which no output may contain.
func needles() []string {
	suite.mu.Lock()
	defer suite.mu.Unlock()
	var out []string
	for s := range suite.secrets {
		out = append(out, s)
	}
	for s := range suite.tokens {
		out = append(out, s)
		// The signed part alone is as good as the token to an attacker.
		if i := strings.IndexByte(s, '.'); i > 0 && len(s)-i > 20 {
			out = append(out, s[i+1:])
		}
	}
	for n := int64(1); n <= 20; n++ {
		tok := simToken(n)
		out = append(out, tok, tok[strings.IndexByte(tok, '.')+1:])
	}
	return out
}

// checkNoSecrets searches texts and every file under dir (but the config
// file the test wrote) for any secret or token.
func checkNoSecrets(t *testing.T, dir string, texts ...string) {
	t.Helper()
	ns := needles()
	for i, s := range texts {
		for _, n := range ns {
			if strings.Contains(s, n) {
				t.Errorf("secret or token %.12s... printed (text %d)", n, i)
			}
		}
	}
	if dir == "" {
		return
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "myconfig.json" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("read %s: %v", p, err)
			return nil
		}
		for _, n := range ns {
			if bytes.Contains(b, []byte(n)) {
				t.Errorf("secret or token %.12s... written to %s", n, p)
			}
		}
		return nil
	})
}

// wantStatus checks each listed data view's status; "*" covers the rest.
func wantStatus(t *testing.T, o outcome, ids []string, want map[string]report.Status) {
	t.Helper()
	for _, id := range ids {
		w, ok := want[id]
		if !ok {
			w, ok = want["*"]
		}
		if ok && o.status[id] != w {
			t.Errorf("%s: status %q, want %q (reason %q)", id, o.status[id], w, o.reason[id])
		}
	}
}

// blocker is a regular file named "blocker" in the work directory, in the
// way of anything that wants a directory there.
func blocker(t *testing.T, dir string) { writeFile(t, dir, "blocker", "a file, not a directory") }

func writeFile(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ran records which catalogue scenarios a test implements.
var ran sync.Map

// scenario marks the running (sub)test as the catalogue entry key, which
// must exist: the README's Reliability section lists exactly the scenarios the suite runs.
func scenario(t *testing.T, key string) {
	t.Helper()
	if _, ok := Lookup(key); !ok {
		t.Fatalf("scenario %q is not in the catalogue (catalogue.go)", key)
	}
	ran.Store(key, true)
}

// walkFiles lists the regular files under dir, relative and slash-separated.
func walkFiles(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}
