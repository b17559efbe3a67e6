package infra_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/xuri/excelize/v2"

	"github.com/cja-sdr/cja-sdr/internal/awstest"
	"github.com/cja-sdr/cja-sdr/internal/lambdaio"
	"github.com/cja-sdr/cja-sdr/internal/pipeline"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
	"github.com/cja-sdr/cja-sdr/internal/store"
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
	logs *syncBuffer
}

// envOptions tune one deployment.
type envOptions struct {
	org sampleorg.Options
	// generatorFault, when set, runs before the real generator and may
	// answer with an error instead (for retry and catch paths).
	generatorFault func(in pipeline.GenerateInput) error
	maxWorkers     int
}

func newPipelineEnv(t *testing.T, opts envOptions) *pipelineEnv {
	t.Helper()
	m := awstest.Moto(t)
	e := &pipelineEnv{t: t, moto: m, bucket: m.NewBucket(t), table: m.NewTable(t)}
	e.secret = createSecret(t, m)
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
	getenv := func(k string) string { return e.env[k] }
	e.logs = &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	planner, err := lambdaio.NewPlanner(getenv, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := lambdaio.NewGenerator(getenv, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := lambdaio.NewSummariser(getenv, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	genHandler := gen.Handle
	if f := opts.generatorFault; f != nil {
		genHandler = func(ctx context.Context, in pipeline.GenerateInput) (pipeline.GenerateOutput, error) {
			if in.Failure == nil {
				if err := f(in); err != nil {
					return pipeline.GenerateOutput{}, err
				}
			}
			return gen.Handle(ctx, in)
		}
	}
	e.lambda = newLambdaEndpoint(t, map[string]function{
		plannerName:   {handler: lambda.NewHandler(planner.Handle), timeout: 120 * time.Second},
		generatorName: {handler: lambda.NewHandler(genHandler), timeout: generatorTimeout},
		summaryName:   {handler: lambda.NewHandler(sum.Handle), timeout: 300 * time.Second},
	})
	return e
}

func createSecret(t *testing.T, m *awstest.MotoServer) string {
	t.Helper()
	c := sampleorg.DemoCredentials()
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

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// checkNoSecret holds invariant 3: the client secret is in no log line and
// no object of the bucket.
func (e *pipelineEnv) checkNoSecret() {
	e.t.Helper()
	secret := sampleorg.DemoCredentials().Secret
	if strings.Contains(e.logs.String(), secret) {
		e.t.Error("a handler logged the client secret")
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
		if bytes.Contains(b, []byte(secret)) {
			e.t.Errorf("s3://%s/%s contains the client secret", e.bucket, k)
		}
	}
}

// errorType names an error the way aws-lambda-go does for the service.
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
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
	if err := cmd.Run(); err != nil {
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
