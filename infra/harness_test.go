package infra_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/xuri/excelize/v2"

	"github.com/cja-sdr/cja-sdr/internal/awstest"
	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/lambdaio"
	"github.com/cja-sdr/cja-sdr/internal/pipeline"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
	"github.com/cja-sdr/cja-sdr/internal/store"
	"github.com/cja-sdr/cja-sdr/internal/syncbuf"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// Function names the definition's substitutions point at, as deployed
// function ARNs would.
const (
	plannerName   = "cja-sdr-planner"
	generatorName = "cja-sdr-generator"
	summaryName   = "cja-sdr-summary"
	account       = "123456789012"
)

func functionARN(name string) string {
	return "arn:aws:lambda:" + awstest.Region + ":" + account + ":function:" + name
}

// substitutions stand in for the template's DefinitionSubstitutions.
var substitutions = map[string]string{
	"PlannerFunctionArn":   functionARN(plannerName),
	"GeneratorFunctionArn": functionARN(generatorName),
	"SummaryFunctionArn":   functionARN(summaryName),
}

// generatorTimeout is the template's GeneratorFunction Timeout: the local
// endpoint gives each invocation the deadline Lambda would.
const generatorTimeout = 80 * time.Second

// pipelineEnv is one deployment: moto's bucket, table and secret, the
// sample organisation behind httptest, and the real handlers wired by
// internal/lambdaio exactly as functions/<name>/main.go wires them.
type pipelineEnv struct {
	t      *testing.T
	moto   *awstest.MotoServer
	bucket string
	table  string
	secret string
	org    *sampleorg.Server
	orgURL string
	env    map[string]string
	lambda *lambdaEndpoint
	store  store.Store
	// logs collects every handler's log lines (JSON).
	logs *syncbuf.Buffer
	// waits records the waits the API clients asked for between retries;
	// they are not slept, as the state machine's retry waits are not.
	waits *waitLog
	// runOutput collects what run-local.mjs printed (errors and causes).
	runOutput *syncbuf.Buffer
	// secrets are the client secrets in play; tokens are the bearer tokens
	// the sample organisation saw. None may be written anywhere.
	secrets []string
	tokens  sync.Map
}

// envOptions tune one deployment.
type envOptions struct {
	org sampleorg.Options
	// generatorFault, when set, runs before the real generator and may
	// answer with an error instead (for retry and catch paths).
	generatorFault func(in pipeline.GenerateInput) error
	// generatorDone, when set, is called after each generator invocation.
	generatorDone func(in pipeline.GenerateInput)
	maxWorkers    int
	// credentials go into the secret (default: the demo credentials).
	credentials *sampleorg.Credentials
	// generatorTimeout is the generator's Lambda timeout (default
	// generatorTimeout) and deadlineMargin how long before it the generator
	// stops (default pipeline.DefaultDeadlineMargin).
	generatorTimeout time.Duration
	deadlineMargin   time.Duration
	// refusePut, when set, puts a proxy between the handlers and moto that
	// answers 503 SlowDown to each PutObject whose key it returns true for.
	refusePut func(key string) bool
}

func newPipelineEnv(t *testing.T, opts envOptions) *pipelineEnv {
	t.Helper()
	m := awstest.Moto(t)
	e := &pipelineEnv{t: t, moto: m, bucket: m.NewBucket(t), table: m.NewTable(t), waits: &waitLog{}, runOutput: &syncbuf.Buffer{}}
	creds := sampleorg.DemoCredentials()
	if opts.credentials != nil {
		creds = *opts.credentials
	}
	e.secret = createSecret(t, m, creds)
	e.secrets = []string{creds.Secret, sampleorg.DemoCredentials().Secret}
	// Every bearer token the API sees is remembered for the leak checks.
	faults := opts.org.Faults
	opts.org.Faults = func(r *http.Request, seq int64) *sampleorg.Fault {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && tok != "" {
			e.tokens.Store(tok, true)
		}
		if faults != nil {
			return faults(r, seq)
		}
		return nil
	}
	e.org = sampleorg.New(opts.org)
	ts := httptest.NewServer(e.org)
	t.Cleanup(ts.Close)
	e.orgURL = ts.URL
	if opts.maxWorkers == 0 {
		opts.maxWorkers = 4
	}
	e.env = map[string]string{
		pipeline.EnvBucket:          e.bucket,
		pipeline.EnvTable:           e.table,
		pipeline.EnvSecretID:        e.secret,
		pipeline.EnvCacheTTLSeconds: "3600",
		pipeline.EnvOutputPrefix:    "sdr/",
		// The simulator does not throttle; a high limit keeps runs quick.
		pipeline.EnvRateLimit:       "1000",
		pipeline.EnvMaxWorkers:      fmt.Sprint(opts.maxWorkers),
		pipeline.EnvContinueOnError: "false",
		pipeline.EnvFormats:         "excel",
		pipeline.EnvCJAAPIURL:       ts.URL,
		pipeline.EnvCJAIMSURL:       ts.URL,
	}
	e.store = store.NewS3(m.S3(t), e.bucket, "")

	cfg := m.AWSConfig()
	// The SDK's retries keep their count but not their waits.
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			o.RateLimiter = ratelimit.None
		})
	}
	if opts.refusePut != nil {
		cfg.BaseEndpoint = aws.String(refusingProxy(t, m.Endpoint, opts.refusePut))
	}
	getenv := func(k string) string { return e.env[k] }
	e.logs = &syncbuf.Buffer{}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The API clients' retries keep their count and their requested waits
	// (recorded), but do not sleep them.
	noSleep := lambdaio.WithCJAConfig(func(c *cja.Config) {
		c.Sleep = func(ctx context.Context, d time.Duration) error {
			e.waits.add(d)
			return ctx.Err()
		}
	})
	planner, err := lambdaio.NewPlanner(getenv, cfg, log, noSleep)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := lambdaio.NewGenerator(getenv, cfg, log, noSleep)
	if err != nil {
		t.Fatal(err)
	}
	if opts.deadlineMargin > 0 {
		gen.DeadlineMargin = opts.deadlineMargin
	}
	if opts.generatorTimeout == 0 {
		opts.generatorTimeout = generatorTimeout
	}
	sum, err := lambdaio.NewSummariser(getenv, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	genHandler := gen.Handle
	if f, done := opts.generatorFault, opts.generatorDone; f != nil || done != nil {
		genHandler = func(ctx context.Context, in pipeline.GenerateInput) (pipeline.GenerateOutput, error) {
			if done != nil {
				defer done(in)
			}
			if in.Failure == nil && f != nil {
				if err := f(in); err != nil {
					return pipeline.GenerateOutput{}, err
				}
			}
			return gen.Handle(ctx, in)
		}
	}
	e.lambda = newLambdaEndpoint(t, map[string]function{
		plannerName:   {handler: lambda.NewHandler(planner.Handle), timeout: 120 * time.Second},
		generatorName: {handler: lambda.NewHandler(genHandler), timeout: opts.generatorTimeout},
		summaryName:   {handler: lambda.NewHandler(sum.Handle), timeout: 300 * time.Second},
	})
	return e
}

func createSecret(t *testing.T, m *awstest.MotoServer, c sampleorg.Credentials) string {
	t.Helper()
	value, _ := json.Marshal(map[string]string{
		"org_id": c.OrgID, "client_id": c.ClientID, "secret": c.Secret, "scopes": c.Scopes,
	})
	name := fmt.Sprintf("cja-sdr/e2e-%d", time.Now().UnixNano())
	_, err := m.SecretsManager(t).CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(string(value)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// function is one deployed Lambda function of the local endpoint.
type function struct {
	handler lambda.Handler
	timeout time.Duration
}

// lambdaEndpoint is a local Lambda Invoke API: POST
// /2015-03-31/functions/{name}/invocations runs the named handler and
// answers like the service, a handler error as X-Amz-Function-Error with
// {"errorType", "errorMessage"}. It counts invocations and measures how many
// run at once, per function.
type lambdaEndpoint struct {
	url   string
	funcs map[string]function

	mu       sync.Mutex
	calls    map[string]int
	inFlight map[string]int
	peak     map[string]int
	errors   map[string][]string // function -> errorTypes returned
}

func newLambdaEndpoint(t *testing.T, funcs map[string]function) *lambdaEndpoint {
	l := &lambdaEndpoint{funcs: funcs, calls: map[string]int{}, inFlight: map[string]int{},
		peak: map[string]int{}, errors: map[string][]string{}}
	srv := httptest.NewServer(http.HandlerFunc(l.serve))
	t.Cleanup(srv.Close)
	l.url = srv.URL
	return l
}

func (l *lambdaEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
	nameOrARN, ok2 := strings.CutSuffix(rest, "/invocations")
	if r.Method != http.MethodPost || !ok || !ok2 {
		http.Error(w, `{"message":"unknown operation"}`, http.StatusNotFound)
		return
	}
	// FunctionName may be a name or an ARN; the name is its last part.
	name := nameOrARN[strings.LastIndex(nameOrARN, ":")+1:]
	fn, found := l.funcs[name]
	if !found {
		w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"Type":"User","message":"Function not found: %s"}`, nameOrARN)
		return
	}
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}

	l.mu.Lock()
	l.calls[name]++
	l.inFlight[name]++
	l.peak[name] = max(l.peak[name], l.inFlight[name])
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.inFlight[name]--
		l.mu.Unlock()
	}()

	// The invocation gets what Lambda gives: a deadline and a request id.
	// It does not end with the HTTP request, as a real invocation does not.
	ctx, cancel := context.WithTimeout(context.Background(), fn.timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       fmt.Sprintf("local-%d", time.Now().UnixNano()),
		InvokedFunctionArn: functionARN(name),
	})
	out, err := fn.handler.Invoke(ctx, payload)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if err != nil {
		typ := errorType(err)
		l.mu.Lock()
		l.errors[name] = append(l.errors[name], typ)
		l.mu.Unlock()
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		_ = json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": err.Error()})
		return
	}
	_, _ = w.Write(out)
}

// checkNoSecret holds invariant 3: no client secret and no access token is
// in any handler's log line, anything the runner printed, or any object of
// the bucket.
func (e *pipelineEnv) checkNoSecret() {
	e.t.Helper()
	needles := e.needles()
	texts := map[string]string{"the handlers' log": e.logs.String(), "the runner's output": e.runOutput.String()}
	for what, text := range texts {
		for _, n := range needles {
			if strings.Contains(text, n) {
				e.t.Errorf("%s contains a secret or token (%.12s...)", what, n)
			}
		}
	}
	keys, err := e.store.List(context.Background(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, k := range keys {
		b, err := e.store.Get(context.Background(), k)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				e.t.Errorf("s3://%s/%s contains a secret or token (%.12s...)", e.bucket, k, n)
			}
		}
	}
}

// needles are the secrets and tokens to look for: the client secrets, every
// bearer token the API saw (and its signed part alone), and the first
// tokens the sample organisation issues, whether used or not.
func (e *pipelineEnv) needles() []string {
	out := slices.Clone(e.secrets)
	add := func(tok string) {
		out = append(out, tok)
		if i := strings.IndexByte(tok, '.'); i > 0 && len(tok)-i > 20 {
			out = append(out, tok[i+1:])
		}
	}
	seen, known := 0, 0
	e.tokens.Range(func(k, _ any) bool {
		add(k.(string))
		seen++
		for n := int64(1); n <= 20; n++ {
			if k.(string) == sampleToken(n) {
				known++
			}
		}
		return true
	})
	if seen > 0 && known == 0 {
		e.t.Errorf("sampleToken no longer makes the sample organisation's tokens: the leak check would miss unused ones")
	}
	for n := int64(1); n <= 20; n++ {
		add(sampleToken(n))
	}
	return out
}

// sampleToken is the sample organisation's n-th access token (it makes
// them deterministic on purpose, so tests can look for them).
func sampleToken(n int64) string {
	clientID := sampleorg.DemoCredentials().ClientID
	claims := fmt.Sprintf(`{"type":"access_token","client_id":%q,"as":"ims-sample","n":%d}`, clientID, n)
	sig := sha256.Sum256([]byte("sampleorg token\x00" + claims))
	return "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." +
		base64.RawURLEncoding.EncodeToString([]byte(claims)) + "." +
		base64.RawURLEncoding.EncodeToString(sig[:])
}

// waitLog records the waits asked for between API retries.
type waitLog struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (w *waitLog) add(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waits = append(w.waits, d)
}

func (w *waitLog) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.waits)
}

// refusingProxy forwards every request to moto but answers a PutObject
// whose key refuse picks with S3's 503 SlowDown, as a bucket under too much
// load (or a partial outage) does. It returns the proxy's URL.
func refusingProxy(t *testing.T, moto string, refuse func(key string) bool) string {
	t.Helper()
	target, err := url.Parse(moto)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Path-style: /<bucket>/<key>; the SDK adds ?x-id=PutObject.
		_, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if r.Method == http.MethodPut && r.URL.Query().Get("x-id") == "PutObject" && key != "" && refuse(key) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+
				`<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>LOCALPROXY</RequestId></Error>`)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// errorType names an error the way aws-lambda-go does for the service. An
// error may name itself, to stand for what Lambda reports when the runtime
// itself fails (Runtime.ExitError, Runtime.OutOfMemory).
func errorType(err error) string {
	if n, ok := err.(interface{ LambdaErrorType() string }); ok {
		return n.LambdaErrorType()
	}
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// waitIdle waits until no invocation of any function is running: a Map
// that failed leaves invocations it had started running to their end, as
// Lambda does.
func (l *lambdaEndpoint) waitIdle(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		l.mu.Lock()
		busy := 0
		for _, n := range l.inFlight {
			busy += n
		}
		l.mu.Unlock()
		if busy == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d invocations still running a minute after the execution ended", busy)
		}
	}
}

func (l *lambdaEndpoint) stats(name string) (calls, peak int, errs []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[name], l.peak[name], slices.Clone(l.errors[name])
}

// execution is what infra/run-local.mjs printed.
type execution struct {
	Status string          `json:"status"`
	Output json.RawMessage `json:"output"`
	Error  string          `json:"error"`
	Cause  string          `json:"cause"`
}

// run executes infra/statemachine.asl.json with aws-local-stepfunctions,
// every Lambda call going to the local endpoint.
func (e *pipelineEnv) run(name string, input any) execution {
	e.t.Helper()
	infra := nodeTools(e.t)
	in, err := json.Marshal(input)
	if err != nil {
		e.t.Fatal(err)
	}
	subs, _ := json.Marshal(substitutions)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "run-local.mjs",
		"--input", string(in), "--name", name, "--substitutions", string(subs),
		// Retries keep their order and count but not their waits.
		"--retry-interval-ms", "10")
	cmd.Dir = infra
	cmd.Env = append(withoutAWS(os.Environ()),
		"AWS_ENDPOINT_URL_LAMBDA="+e.lambda.url,
		"AWS_REGION="+awstest.Region,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	fmt.Fprintf(e.runOutput, "%s\n%s\n", stdout.String(), stderr.String())
	if err != nil {
		e.t.Fatalf("run-local.mjs: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	var last string
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			last = line
		}
	}
	var ex execution
	if err := json.Unmarshal([]byte(last), &ex); err != nil {
		e.t.Fatalf("run-local.mjs printed %q: %v\nstderr: %s", stdout.String(), err, stderr.String())
	}
	return ex
}

// withoutAWS drops the caller's AWS settings so the runner talks only to
// the local endpoint.
func withoutAWS(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}

// summary reads runs/<runId>/summary.json.
func (e *pipelineEnv) summary(runID string) pipeline.RunSummary {
	e.t.Helper()
	b, err := e.store.Get(context.Background(), pipeline.SummaryKey(runID, "json"))
	if err != nil {
		e.t.Fatalf("summary.json of %s: %v", runID, err)
	}
	var s pipeline.RunSummary
	if err := json.Unmarshal(b, &s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// checkSummary holds the invariant of every run: each requested data view
// appears exactly once, in request order, and the text and index agree
// with summary.json. It returns the results by id.
func (e *pipelineEnv) checkSummary(runID string, requested []string) (pipeline.RunSummary, map[string]resultView) {
	e.t.Helper()
	s := e.summary(runID)
	if len(s.Results) != len(requested) || s.Total != len(requested) {
		e.t.Errorf("summary has %d results (total %d), want %d", len(s.Results), s.Total, len(requested))
	}
	byID := map[string]resultView{}
	for i, r := range s.Results {
		if _, dup := byID[r.DataViewID]; dup {
			e.t.Errorf("%s appears more than once in the summary", r.DataViewID)
		}
		byID[r.DataViewID] = resultView{Status: string(r.Status), Error: r.Error, CacheHit: r.CacheHit, Issues: r.Issues, Outputs: len(r.Outputs)}
		if i < len(requested) && r.DataViewID != requested[i] {
			e.t.Errorf("summary result %d is %s, want %s (request order)", i, r.DataViewID, requested[i])
		}
		if r.Status == "SUCCESS" {
			e.checkOutputs(runID, s, r.DataViewID, r.Outputs)
		}
	}
	for _, id := range requested {
		if _, ok := byID[id]; !ok {
			e.t.Errorf("%s is missing from the summary", id)
		}
	}
	txt, err := e.store.Get(context.Background(), pipeline.SummaryKey(runID, "txt"))
	if err != nil {
		e.t.Fatal(err)
	}
	if string(txt) != pipeline.SummaryText(s) {
		e.t.Errorf("summary.txt is not the summary block of summary.json:\n%s", txt)
	}
	e.checkIndex(runID, s)
	e.checkNoSecret()
	return s, byID
}

// resultView is the part of a result record the scenarios compare.
type resultView struct {
	Status   string
	Error    string
	CacheHit bool
	Issues   int
	Outputs  int
}

// checkOutputs checks that a successful data view's SDR files exist under
// sdr/YYYY/MM/DD/<runId>/.
func (e *pipelineEnv) checkOutputs(runID string, s pipeline.RunSummary, id string, outs []store.Object) {
	e.t.Helper()
	if len(outs) == 0 {
		e.t.Errorf("%s succeeded without outputs", id)
	}
	prefix := pipeline.SDRPrefix("sdr/", s.Started, runID)
	for _, o := range outs {
		if !strings.HasPrefix(o.Key, prefix) || o.Path != "s3://"+e.bucket+"/"+o.Key {
			e.t.Errorf("%s output %+v is not under s3://%s/%s", id, o, e.bucket, prefix)
			continue
		}
		b, err := e.store.Get(context.Background(), o.Key)
		if err != nil || len(b) == 0 || int64(len(b)) != o.Size {
			e.t.Errorf("%s output %s: %d bytes, err %v (record says %d)", id, o.Key, len(b), err, o.Size)
		}
		if path.Ext(o.Key) == ".xlsx" && !bytes.HasPrefix(b, []byte("PK")) {
			e.t.Errorf("%s is not a workbook", o.Key)
		}
	}
}

// checkIndex opens summary.xlsx and checks its Data Views sheet: one row per
// result in order, and a link to the SDR of every successful data view.
func (e *pipelineEnv) checkIndex(runID string, s pipeline.RunSummary) {
	e.t.Helper()
	b, err := e.store.Get(context.Background(), pipeline.SummaryKey(runID, "xlsx"))
	if err != nil {
		e.t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		e.t.Fatalf("summary.xlsx: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("Data Views")
	if err != nil {
		e.t.Fatal(err)
	}
	if len(rows) != len(s.Results)+1 {
		e.t.Fatalf("index has %d rows, want a header and %d", len(rows), len(s.Results))
	}
	for i, r := range s.Results {
		row := rows[i+1]
		if row[0] != r.DataViewID || row[2] != string(r.Status) {
			e.t.Errorf("index row %d = %v, want %s %s", i+2, row[:3], r.DataViewID, r.Status)
		}
		if r.Status != "SUCCESS" {
			continue
		}
		cell := fmt.Sprintf("J%d", i+2)
		v, _ := f.GetCellValue("Data Views", cell)
		ok, link, _ := f.GetCellHyperLink("Data Views", cell)
		if v != r.Outputs[0].Path || !ok || !strings.Contains(link, e.bucket) {
			e.t.Errorf("index %s = %q linking %q, want %s", cell, v, link, r.Outputs[0].Path)
		}
	}
}
