package infra_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cja-sdr/cja-sdr/internal/faults"
	"github.com/cja-sdr/cja-sdr/internal/pipeline"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
)

// The fault scenarios of internal/faults' catalogue that run through the
// state machine: the real definition in aws-local-stepfunctions, the real
// handlers, moto and the sample organisation with faults injected. Each test
// names its catalogue entry with sfnScenario, which internal/faults reads to
// hold "every entry implemented by exactly one test case".
//
// Retries keep their count but not their waits: the runner overrides the
// definition's retry intervals, and the API clients record the waits they
// ask for (Retry-After, backoff) instead of sleeping them.

// sfnScenario marks the test as the one implementing catalogue entry key.
func sfnScenario(t *testing.T, key string) {
	t.Helper()
	skipShort(t)
	if _, ok := faults.Lookup(key); !ok || !strings.HasPrefix(key, faults.StateMachinePrefix) {
		t.Fatalf("scenario %q is not in internal/faults/catalogue.go with the %q prefix", key, faults.StateMachinePrefix)
	}
}

// advice is how a failure says what to do.
var advice = regexp.MustCompile(`retry later|run it again|check |set continueOnError|ask an admin|raise the generator's Timeout|lower |--list-dataviews|add components|report it`)

// checkRun holds every scenario's invariant on top of checkSummary's (each
// requested data view exactly once, summary files consistent, no secret or
// token anywhere): each data view that did not succeed has a line in
// summary.txt naming it with its reason, and the reason says what to do;
// and the only SDR objects of the run are those of data views whose record
// says SUCCESS and lists them, so no partial SDR is left.
func (e *pipelineEnv) checkRun(runID string, requested []string) (pipeline.RunSummary, map[string]resultView) {
	e.t.Helper()
	s, byID := e.checkSummary(runID, requested)
	txt, err := e.store.Get(context.Background(), pipeline.SummaryKey(runID, "txt"))
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range s.Results {
		if r.Status == report.Success {
			continue
		}
		e.t.Logf("%s %s: %s", r.Status, r.DataViewID, r.Error) // what the user sees, with -v
		if !advice.MatchString(r.Error) {
			e.t.Errorf("%s %s without saying what to do: %q", r.DataViewID, r.Status, r.Error)
		}
		found := false
		for line := range strings.SplitSeq(string(txt), "\n") {
			if strings.Contains(line, r.DataViewID) && strings.Contains(line, r.Error) {
				found = true
			}
		}
		if !found {
			e.t.Errorf("summary.txt has no line naming %s with its reason %q:\n%s", r.DataViewID, r.Error, txt)
		}
	}
	e.checkSDRObjects(runID, s)
	return s, byID
}

// checkSDRObjects compares the run's SDR objects with the result records as
// they are now (a generator the run stopped may finish after the summary).
func (e *pipelineEnv) checkSDRObjects(runID string, s pipeline.RunSummary) {
	e.t.Helper()
	ctx := context.Background()
	owned := map[string]string{}
	for _, res := range s.Results {
		id := res.DataViewID
		b, err := e.store.Get(ctx, pipeline.ResultKey(runID, id))
		if err != nil {
			continue // not started: no record
		}
		var r report.Result
		if err := json.Unmarshal(b, &r); err != nil {
			e.t.Fatalf("record of %s: %v", id, err)
		}
		if r.Status == report.Success {
			for _, o := range r.Outputs {
				owned[o.Key] = id
			}
		}
	}
	keys, err := e.store.List(ctx, "sdr/")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, k := range keys {
		if _, ok := owned[k]; !ok {
			e.t.Errorf("s3://%s/%s belongs to no successful data view: a partial or stray SDR", e.bucket, k)
		}
	}
}

func (e *pipelineEnv) mustSucceed(ex execution) pipeline.SummaryOutput {
	e.t.Helper()
	if ex.Status != "SUCCEEDED" {
		e.t.Fatalf("execution %s: %s: %s", ex.Status, ex.Error, ex.Cause)
	}
	var out pipeline.SummaryOutput
	if err := json.Unmarshal(ex.Output, &out); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func wantAll(t *testing.T, byID map[string]resultView, status string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if r := byID[id]; r.Status != status {
			t.Errorf("%s: %+v, want %s", id, r, status)
		}
	}
}

func wantContains(t *testing.T, what, got string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(got, p) {
			t.Errorf("%s %q does not contain %q", what, got, p)
		}
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// (a) One data view's metrics are throttled eight times with Retry-After:
// the client waits what the server asked on each of its 6 attempts, gives
// up, the state machine retries the data view, and the client's next two
// retries get through.
func TestE2EThrottleStormRetryAfter(t *testing.T) {
	sfnScenario(t, "sfn-429-storm-retry-after")
	stormy := goodFixtures[1]
	storm := sampleorg.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"1"}}}
	e := newPipelineEnv(t, envOptions{org: sampleorg.Options{
		Faults: sampleorg.OnPath(stormy+"/metrics", sampleorg.FailFirst(8, storm)),
	}})
	ids := []string{goodFixtures[0], stormy, goodFixtures[2]}
	out := e.mustSucceed(e.run("sfn-429-storm", map[string]any{"dataViewIds": ids}))
	if !out.OK || out.Successful != 3 {
		t.Errorf("execution output %+v", out)
	}
	_, byID := e.checkRun("sfn-429-storm", ids)
	wantAll(t, byID, "SUCCESS", ids...)
	if _, _, errs := e.lambda.stats(generatorName); !slices.Equal(errs, []string{"TransientError"}) {
		t.Errorf("generator errors %v, want one TransientError (the client gave up once, the state machine retried)", errs)
	}
	if waits := e.waits.all(); !slices.Equal(waits, repeat1s(7)) {
		t.Errorf("client waits %v, want Retry-After's 1s before each of 5 + 2 retries", waits)
	}
	if got := e.org.Stats().Throttled; got != 8 {
		t.Errorf("%d 429s answered, want the whole storm of 8", got)
	}
}

func repeat1s(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Second
	}
	return out
}

// (b) Bursts of 500, 502, 503 and 504 on four data views, each longer than
// the client's 6 attempts: every data view is retried once by the state
// machine and succeeds.
func TestE2EServerErrorBursts(t *testing.T) {
	sfnScenario(t, "sfn-5xx-bursts")
	bursts := map[string]int{goodFixtures[0]: 500, goodFixtures[1]: 502, goodFixtures[2]: 503, goodFixtures[3]: 504}
	var ffs []sampleorg.FaultFunc
	for id, status := range bursts {
		ffs = append(ffs, sampleorg.OnPath(id+"/metrics", sampleorg.FailFirst(8, sampleorg.Fault{Status: status})))
	}
	e := newPipelineEnv(t, envOptions{org: sampleorg.Options{Faults: sampleorg.Chain(ffs...)}})
	ids := append(slices.Clone(goodFixtures[:4]), goodFixtures[4])
	out := e.mustSucceed(e.run("sfn-5xx-bursts", map[string]any{"dataViewIds": ids}))
	if !out.OK || out.Successful != len(ids) {
		t.Errorf("execution output %+v", out)
	}
	_, byID := e.checkRun("sfn-5xx-bursts", ids)
	wantAll(t, byID, "SUCCESS", ids...)
	if _, _, errs := e.lambda.stats(generatorName); !slices.Equal(errs, repeat("TransientError", 4)) {
		t.Errorf("generator errors %v, want one TransientError per burst", errs)
	}
	st := e.org.Stats()
	for _, status := range []int{500, 502, 503, 504} {
		if st.ByStatus[status] != 8 {
			t.Errorf("%d answers of HTTP %d, want 8", st.ByStatus[status], status)
		}
	}
	if n := len(e.waits.all()); n != 4*7 {
		t.Errorf("%d client retries, want 7 per data view", n)
	}
}

// (c) A data view that always answers 503, with continueOnError: the
// client's retries and the state machine's all fail, the failure is
// recorded with "retry later", and the run succeeds, listing it.
func TestE2EPersistent503ContinueOnError(t *testing.T) {
	sfnScenario(t, "sfn-persistent-503")
	broken := goodFixtures[1]
	e := newPipelineEnv(t, envOptions{org: sampleorg.Options{
		Faults: sampleorg.OnPath(broken, sampleorg.Always(sampleorg.FaultUnavailable)),
	}})
	ids := goodFixtures[:3]
	out := e.mustSucceed(e.run("sfn-persistent-503", map[string]any{"dataViewIds": ids, "continueOnError": true}))
	if out.OK || out.Failed != 1 || out.Successful != 2 {
		t.Errorf("execution output %+v, want 2 successful and 1 failed", out)
	}
	_, byID := e.checkRun("sfn-persistent-503", ids)
	wantAll(t, byID, "SUCCESS", ids[0], ids[2])
	r := byID[broken]
	if r.Status != "FAILED" {
		t.Errorf("%s: %+v, want FAILED", broken, r)
	}
	wantContains(t, "failure of "+broken, r.Error, broken, "HTTP 503", "backend timeout", "(retry later)", "gave up after retries")
	calls, _, errs := e.lambda.stats(generatorName)
	if !slices.Equal(errs, repeat("TransientError", 3)) || calls != 2+3+1 {
		t.Errorf("generator: %d invocations, errors %v; want 3 attempts (MaxAttempts 2 + 1), then the failure recorder", calls, errs)
	}
	b, _ := e.store.Get(context.Background(), pipeline.ResultKey("sfn-persistent-503", broken))
	if !strings.Contains(string(b), `"retryable": true`) {
		t.Errorf("the record of %s does not say it may work later: %s", broken, b)
	}
}

// runtimeExit is what Lambda reports when the function's process dies (a
// crash, a kill): an error type the definition does not retry.
type runtimeExit struct{ msg string }

func (e *runtimeExit) Error() string         { return e.msg }
func (*runtimeExit) LambdaErrorType() string { return "Runtime.ExitError" }

// (d) The generator crashes on one data view with an error type nobody
// planned for: the Catch sends it to RecordFailure, which writes a failure
// record saying what happened and what to do; the others are unaffected.
func TestE2EGeneratorCrash(t *testing.T) {
	sfnScenario(t, "sfn-generator-crash")
	crashing := goodFixtures[1]
	e := newPipelineEnv(t, envOptions{generatorFault: func(in pipeline.GenerateInput) error {
		if *in.Index == 1 {
			return &runtimeExit{"RequestId: 7b1f0c2e Error: Runtime exited with error: signal: killed"}
		}
		return nil
	}})
	ids := goodFixtures[:3]
	out := e.mustSucceed(e.run("sfn-crash", map[string]any{"dataViewIds": ids, "continueOnError": true}))
	if out.Failed != 1 || out.Successful != 2 {
		t.Errorf("execution output %+v", out)
	}
	_, byID := e.checkRun("sfn-crash", ids)
	wantAll(t, byID, "SUCCESS", ids[0], ids[2])
	if r := byID[crashing]; r.Status != "FAILED" {
		t.Errorf("%s: %+v, want FAILED", crashing, r)
	}
	wantContains(t, "failure of "+crashing, byID[crashing].Error, crashing, "failed unexpectedly", "Runtime.ExitError", "signal: killed", "run it again")
	if calls, _, errs := e.lambda.stats(generatorName); !slices.Equal(errs, []string{"Runtime.ExitError"}) || calls != 3+1 {
		t.Errorf("generator: %d invocations, errors %v; want the crash once (not retried) and the failure recorder", calls, errs)
	}
}

// (e) S3 refuses one data view's JSON SDR with 503 SlowDown (its workbook
// went through): the SDK's retries and the state machine's fail, the
// workbook is deleted again each time, and a FAILED record names the
// object and the S3 error.
func TestE2ES3WriteRefused(t *testing.T) {
	sfnScenario(t, "sfn-s3-put-refused")
	refused := goodFixtures[1]
	var refusals, workbooks atomic.Int64
	e := newPipelineEnv(t, envOptions{refusePut: func(key string) bool {
		if !strings.HasPrefix(key, "sdr/") || !strings.Contains(key, refused) {
			return false
		}
		if strings.HasSuffix(key, ".xlsx") {
			workbooks.Add(1)
			return false
		}
		refusals.Add(1)
		return true
	}})
	ids := goodFixtures[:3]
	out := e.mustSucceed(e.run("sfn-s3-refused", map[string]any{"dataViewIds": ids, "continueOnError": true, "formats": []string{"excel", "json"}}))
	if out.Failed != 1 || out.Successful != 2 {
		t.Errorf("execution output %+v", out)
	}
	_, byID := e.checkRun("sfn-s3-refused", ids)
	wantAll(t, byID, "SUCCESS", ids[0], ids[2])
	for _, id := range []string{ids[0], ids[2]} {
		if byID[id].Outputs != 2 {
			t.Errorf("%s has %d outputs, want the workbook and the JSON", id, byID[id].Outputs)
		}
	}
	r := byID[refused]
	if r.Status != "FAILED" {
		t.Errorf("%s: %+v, want FAILED", refused, r)
	}
	wantContains(t, "failure of "+refused, r.Error, refused, "write SDR", ".json", "SlowDown", "run it again", "gave up after retries")
	if _, _, errs := e.lambda.stats(generatorName); !slices.Equal(errs, repeat("TransientError", 3)) {
		t.Errorf("generator errors %v, want 3 TransientErrors (retried by the state machine, then recorded)", errs)
	}
	if workbooks.Load() != 3 || refusals.Load() < 3 {
		t.Errorf("%d workbooks stored and %d JSON uploads refused; want 3 and at least 3", workbooks.Load(), refusals.Load())
	}
}

// (f) The cache table is gone: each generator warns once that it checks
// without the cache, and every SDR is written.
func TestE2EDynamoDBUnavailable(t *testing.T) {
	sfnScenario(t, "sfn-dynamodb-unavailable")
	e := newPipelineEnv(t, envOptions{})
	if _, err := e.moto.DynamoDB(t).DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(e.table)}); err != nil {
		t.Fatal(err)
	}
	ids := goodFixtures[:3]
	out := e.mustSucceed(e.run("sfn-no-dynamodb", map[string]any{"dataViewIds": ids}))
	if !out.OK || out.CacheHits != 0 {
		t.Errorf("execution output %+v", out)
	}
	_, byID := e.checkRun("sfn-no-dynamodb", ids)
	wantAll(t, byID, "SUCCESS", ids...)
	var warnings int
	for line := range strings.SplitSeq(e.logs.String(), "\n") {
		if strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, "validation cache unavailable; checking without it") {
			warnings++
			wantContains(t, "warning", line, "ResourceNotFoundException")
		}
	}
	if warnings != len(ids) {
		t.Errorf("%d cache warnings, want one per invocation (%d)", warnings, len(ids))
	}
}

// (g) A data view's metrics hang: the generator stops before its Lambda
// deadline with a DeadlineError, the state machine retries it twice, and
// the failure is recorded with what to do. (One data view only: with a
// deadline this short, a healthy one could miss it on a busy machine.)
func TestE2ELambdaDeadline(t *testing.T) {
	sfnScenario(t, "sfn-lambda-deadline")
	slow := goodFixtures[1]
	e := newPipelineEnv(t, envOptions{
		org:              sampleorg.Options{Faults: sampleorg.OnPath(slow+"/metrics", sampleorg.Always(sampleorg.FaultHang))},
		generatorTimeout: 2 * time.Second, deadlineMargin: time.Second,
	})
	ids := []string{slow}
	out := e.mustSucceed(e.run("sfn-deadline", map[string]any{"dataViewIds": ids, "continueOnError": true}))
	if out.Failed != 1 || out.OK {
		t.Errorf("execution output %+v", out)
	}
	_, byID := e.checkRun("sfn-deadline", ids)
	r := byID[slow]
	if r.Status != "FAILED" {
		t.Errorf("%s: %+v, want FAILED", slow, r)
	}
	wantContains(t, "failure of "+slow, r.Error, slow, "before the Lambda deadline", "gave up after retries", "fewer workers")
	if strings.Contains(r.Error, "will be retried") {
		t.Errorf("the final record still promises a retry: %q", r.Error)
	}
	if _, _, errs := e.lambda.stats(generatorName); !slices.Equal(errs, repeat("DeadlineError", 3)) {
		t.Errorf("generator errors %v, want 3 DeadlineErrors", errs)
	}
}

// (h) The secret holds a wrong client secret: IMS refuses it at most once
// per invocation (no retry), every data view is FAILED with "CJA initialization
// failed" and what to check, and nothing is written under sdr/.
func TestE2EInvalidCredentials(t *testing.T) {
	sfnScenario(t, "sfn-invalid-credentials")
	bad := sampleorg.DemoCredentials()
	bad.Secret = fmt.Sprintf("p8e-WRONG-secret-%d", time.Now().UnixNano())
	e := newPipelineEnv(t, envOptions{credentials: &bad})
	ids := goodFixtures[:3]
	out := e.mustSucceed(e.run("sfn-bad-credentials", map[string]any{"dataViewIds": ids, "continueOnError": true}))
	if out.Failed != 3 || out.OK {
		t.Errorf("execution output %+v, want every data view failed", out)
	}
	_, byID := e.checkRun("sfn-bad-credentials", ids)
	for _, id := range ids {
		r := byID[id]
		if r.Status != "FAILED" || strings.Count(r.Error, "CJA initialization failed") != 1 {
			t.Errorf("%s: %+v", id, r)
		}
		wantContains(t, "failure of "+id, r.Error, "IMS rejected the credentials", "invalid_client", "check the client ID, client secret")
	}
	st := e.org.Stats()
	// At most one IMS request per data view (a refusal is not retried);
	// fewer when concurrent invocations in one container share a fetch.
	if st.TokensIssued != 0 || st.Requests.CJA() != 0 || st.Requests.Token < 1 || st.Requests.Token > int64(len(ids)) {
		t.Errorf("IMS asked %d times (want 1 to %d: no retry), %d tokens, %d CJA requests", st.Requests.Token, len(ids), st.TokensIssued, st.Requests.CJA())
	}
	if keys, _ := e.store.List(context.Background(), "sdr/"); len(keys) != 0 {
		t.Errorf("SDR objects written with bad credentials: %v", keys)
	}
}

// (i) Execution inputs the planner cannot use: the execution fails at Plan
// with the InputError's reason, without a retry, and writes nothing.
func TestE2EBadExecutionInput(t *testing.T) {
	sfnScenario(t, "sfn-bad-execution-input")
	e := newPipelineEnv(t, envOptions{})
	id := goodFixtures[0]
	for i, tc := range []struct {
		name  string
		input any
		want  string
	}{
		// What a shell's double encoding of a cut-off request produces.
		{"string", `{"dataViewIds": ["` + id + `"`, "malformed input: json: cannot unmarshal string"},
		{"unknown-field", map[string]any{"dataViewId": []string{id}}, `unknown field "dataViewId"`},
		{"wrong-type", map[string]any{"dataViewIds": id}, "malformed input"},
		{"empty-list", map[string]any{"dataViewIds": []string{}}, "nothing requested"},
		{"two-sources", map[string]any{"dataViewIds": []string{id}, "all": true}, `give only one of "dataViewIds", "all" and "source"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex := e.run(fmt.Sprintf("sfn-bad-input-%d", i), tc.input)
			if ex.Status != "FAILED" || ex.Error != "InputError" {
				t.Fatalf("execution %s %s: %s; want FAILED with InputError", ex.Status, ex.Error, ex.Cause)
			}
			wantContains(t, "cause", ex.Cause, "planner: ", tc.want)
			if tc.name != "empty-list" && tc.name != "two-sources" {
				wantContains(t, "cause", ex.Cause, `expected {"dataViewIds": [...]}`)
			}
			if calls, _, _ := e.lambda.stats(plannerName); calls != i+1 {
				t.Errorf("planner invoked %d times for %d inputs: an InputError must not be retried", calls, i+1)
			}
		})
	}
	if calls, _, _ := e.lambda.stats(generatorName); calls != 0 {
		t.Errorf("generator invoked %d times", calls)
	}
	if keys, _ := e.store.List(context.Background(), ""); len(keys) != 0 {
		t.Errorf("objects written for rejected inputs: %v", keys)
	}
	e.checkNoSecret()
}

// (j) Twelve data views at workers 3 without continueOnError, the fifth of
// which does not exist: the run stops, the execution fails after the
// summary, and the summary lists every data view once, as SUCCESS,
// FAILED, CANCELLED (in flight when the run stopped) or NOT_STARTED.
//
// So that the outcome does not depend on which generator is quicker, those
// after the fifth wait, before generating, until the fifth's invocation
// has returned (and so marked the run stopped).
func TestE2EStopOnErrorTwelveAtThree(t *testing.T) {
	sfnScenario(t, "sfn-stop-on-error-12-at-3")
	fifthDone := make(chan struct{})
	var once sync.Once
	e := newPipelineEnv(t, envOptions{
		org: sampleorg.Options{Synthetic: 4},
		generatorFault: func(in pipeline.GenerateInput) error {
			if *in.Index > 4 {
				select {
				case <-fifthDone:
				case <-time.After(time.Minute): // then the statuses below tell
				}
			}
			return nil
		},
		generatorDone: func(in pipeline.GenerateInput) {
			if *in.Index == 4 {
				once.Do(func() { close(fifthDone) })
			}
		},
	})
	ids := append(slices.Clone(goodFixtures[:4]), sampleorg.MissingDataViewID)
	ids = append(ids, goodFixtures[4:]...)
	ids = append(ids, "dv_synth00001", "dv_synth00002", "dv_synth00003")
	if len(ids) != 12 {
		t.Fatalf("%d ids", len(ids))
	}
	ex := e.run("sfn-stop-12", map[string]any{"dataViewIds": ids, "workers": 3})
	if ex.Status != "FAILED" || ex.Error != "RunFailed" {
		t.Fatalf("execution %s %s: %s; want FAILED RunFailed", ex.Status, ex.Error, ex.Cause)
	}
	wantContains(t, "cause", ex.Cause, "summary.txt")
	// Generators the run had started finish on their own, as in Lambda.
	e.lambda.waitIdle(t)
	s, byID := e.checkRun("sfn-stop-12", ids)
	n := statusesOf(byID)
	t.Logf("statuses %v", n)
	if n["FAILED"] != 1 || byID[sampleorg.MissingDataViewID].Status != "FAILED" {
		t.Errorf("failed: %v, missing data view %+v", n, byID[sampleorg.MissingDataViewID])
	}
	wantContains(t, "failure", byID[sampleorg.MissingDataViewID].Error, sampleorg.MissingDataViewID, "Data view validation failed", "404")
	// The fifth starts only after two of the first four have succeeded; the
	// others of the first four succeeded or were in flight when the run
	// stopped; everything after the fifth found the run stopped.
	succeeded := 0
	for i, id := range ids {
		switch r := byID[id]; {
		case i < 4 && r.Status == "SUCCESS":
			succeeded++
		case i < 4 && r.Status != "CANCELLED":
			t.Errorf("%s (before the failure): %+v", id, r)
		case i > 4 && r.Status != "NOT_STARTED":
			t.Errorf("%s (after the failure): %+v, want NOT_STARTED", id, r)
		}
	}
	if succeeded < 2 {
		t.Errorf("statuses %v: want at least 2 successful", n)
	}
	if s.Successful+s.Failed+s.Cancelled+s.NotStarted != 12 || s.OK() {
		t.Errorf("summary counts %+v", s.Summary)
	}
	// No concurrency check here: once the Map has failed, the local runner
	// starts queued iterations while the aborted ones' generators are still
	// running (they find the run stopped and skip). TestE2EConcurrency
	// measures the peak of a run that does not fail.
}
