package infra_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/cja-sdr/cja-sdr/internal/cache"
	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/lambdaio"
	"github.com/cja-sdr/cja-sdr/internal/pipeline"
	"github.com/cja-sdr/cja-sdr/internal/quality"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
)

// The end-to-end scenarios run infra/statemachine.asl.json, as it deploys,
// in aws-local-stepfunctions; every Task calls the real handlers through a
// local Lambda Invoke endpoint, against moto's S3, DynamoDB, Secrets Manager
// and Step Functions and the sample organisation over HTTP.

// goodFixtures are the sample organisation's data views that document
// cleanly (not the empty one, not the large one, to keep runs quick).
var goodFixtures = []string{
	sampleorg.ProductionDataViewID,
	"dv_65f1c0d2a8b34e7f9c12ab01",
	sampleorg.UnsafeNameDataViewID,
	sampleorg.FormulaDataViewID,
	"dv_6812f0e9d8c7b6a5f4e3d2c1",
	sampleorg.NullOwnerDataViewID,
	sampleorg.MessyDataViewID,
	"dv_6701a2b3c4d5e6f7a8b9c0d1",
}

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts moto, node and the sample organisation")
	}
}

func statusesOf(byID map[string]resultView) map[string]int {
	n := map[string]int{}
	for _, r := range byID {
		n[r.Status]++
	}
	return n
}

// Twelve data views at workers 3: all succeed, and never more than three
// generators (nor three data views at the API) are in flight.
func TestE2EConcurrency(t *testing.T) {
	skipShort(t)
	// Latency makes the generators overlap, so a Map that ignored its
	// concurrency would show it.
	e := newPipelineEnv(t, envOptions{org: sampleorg.Options{Latency: 40 * time.Millisecond, Synthetic: 4}, maxWorkers: 8})
	ids := append(slices.Clone(goodFixtures), "dv_synth00001", "dv_synth00002", "dv_synth00003", "dv_synth00004")
	ex := e.run("e2e-concurrency", map[string]any{"dataViewIds": ids, "workers": 3})
	if ex.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s: %s", ex.Status, ex.Error, ex.Cause)
	}
	var out pipeline.SummaryOutput
	if err := json.Unmarshal(ex.Output, &out); err != nil {
		t.Fatal(err)
	}
	if out.Total != 12 || out.Successful != 12 || !out.OK || len(out.Files) != 3 {
		t.Errorf("execution output %+v", out)
	}
	s, byID := e.checkSummary("e2e-concurrency", ids)
	if s.Successful != 12 || s.Workers != 3 {
		t.Errorf("summary: %d successful, workers %d", s.Successful, s.Workers)
	}
	for id, r := range byID {
		if r.Outputs != 1 {
			t.Errorf("%s has %d outputs, want the excel SDR only", id, r.Outputs)
		}
	}
	calls, peak, errs := e.lambda.stats(generatorName)
	t.Logf("generator: %d invocations, peak %d in flight; API peak %d data views in flight",
		calls, peak, e.org.Stats().MaxDataViewsInFlight)
	if calls != 12 || len(errs) != 0 {
		t.Errorf("generator invoked %d times with errors %v, want 12 clean invocations", calls, errs)
	}
	if peak > 3 {
		t.Errorf("%d generators ran at once; workers is 3", peak)
	}
	if got := e.org.Stats().MaxDataViewsInFlight; got > 3 {
		t.Errorf("%d data views were in flight at the API; workers is 3", got)
	}
	// One container here: one secret read and one IMS token for the run.
	if got := e.org.Stats().TokensIssued; got != 1 {
		t.Errorf("%d IMS tokens for one container; the token is cached per container", got)
	}
}

// A data view that does not exist, without continue-on-error: the run stops,
// the summary is still written with every data view once, and the
// execution fails after it.
func TestE2EStopOnFirstFailure(t *testing.T) {
	skipShort(t)
	e := newPipelineEnv(t, envOptions{})
	ids := []string{goodFixtures[0], sampleorg.MissingDataViewID, goodFixtures[1], goodFixtures[2], goodFixtures[3], goodFixtures[4]}
	ex := e.run("e2e-stop", map[string]any{"dataViewIds": ids, "workers": 1})
	if ex.Status != "FAILED" || ex.Error != "RunFailed" {
		t.Fatalf("execution %s %s: %s; want FAILED RunFailed", ex.Status, ex.Error, ex.Cause)
	}
	if !strings.Contains(ex.Cause, "summary.txt") {
		t.Errorf("failure cause %q does not point at the summary", ex.Cause)
	}
	s, byID := e.checkSummary("e2e-stop", ids)
	missing := byID[sampleorg.MissingDataViewID]
	if missing.Status != "FAILED" || !strings.Contains(missing.Error, "404") {
		t.Errorf("missing data view: %+v", missing)
	}
	if byID[goodFixtures[0]].Status != "SUCCESS" {
		t.Errorf("the data view before the failure: %+v", byID[goodFixtures[0]])
	}
	// One worker: nothing after the failure had started.
	for _, id := range ids[2:] {
		if r := byID[id]; r.Status != "NOT_STARTED" {
			t.Errorf("%s after the failure: %+v, want NOT_STARTED", id, r)
		}
	}
	if s.Failed != 1 || s.NotStarted != 4 || s.OK() {
		t.Errorf("summary counts: %+v", s.Summary)
	}
}

// Continue-on-error: every data view runs; a not-found data view, one whose
// generator fails transiently once (retried, then fine) and one that keeps
// failing (caught and recorded) all end up in the summary, and the
// execution succeeds, listing the failures.
func TestE2EContinueOnError(t *testing.T) {
	skipShort(t)
	flaky, broken := goodFixtures[1], goodFixtures[2]
	var mu sync.Mutex
	attempts := map[int]int{}
	e := newPipelineEnv(t, envOptions{generatorFault: func(in pipeline.GenerateInput) error {
		mu.Lock()
		defer mu.Unlock()
		attempts[*in.Index]++
		switch {
		case *in.Index == 1 && attempts[1] == 1:
			return &pipeline.TransientError{Msg: "generator: " + flaky + ": HTTP 503: backend timeout"}
		case *in.Index == 2:
			return &pipeline.TransientError{Msg: "generator: " + broken + ": HTTP 429: Too many requests"}
		}
		return nil
	}})
	ids := []string{goodFixtures[0], flaky, broken, sampleorg.MissingDataViewID, goodFixtures[3]}
	ex := e.run("e2e-continue", map[string]any{"dataViewIds": ids, "workers": 2, "continueOnError": true})
	if ex.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s: %s", ex.Status, ex.Error, ex.Cause)
	}
	var out pipeline.SummaryOutput
	_ = json.Unmarshal(ex.Output, &out)
	if out.Failed != 2 || out.Successful != 3 || out.OK {
		t.Errorf("execution output %+v, want 3 successful and 2 failed", out)
	}
	_, byID := e.checkSummary("e2e-continue", ids)
	if r := byID[flaky]; r.Status != "SUCCESS" {
		t.Errorf("retried data view: %+v", r)
	}
	if r := byID[broken]; r.Status != "FAILED" || !strings.Contains(r.Error, "429") || !strings.Contains(r.Error, "gave up after retries") {
		t.Errorf("always-failing data view: %+v", r)
	}
	if r := byID[sampleorg.MissingDataViewID]; r.Status != "FAILED" {
		t.Errorf("missing data view: %+v", r)
	}
	mu.Lock()
	defer mu.Unlock()
	if attempts[1] != 2 || attempts[2] != 3 {
		t.Errorf("attempts: flaky %d (want 2), broken %d (want 3: the definition's MaxAttempts 2 + 1)", attempts[1], attempts[2])
	}
	// The failure record is raw: the record of a broken data view says it may
	// work later.
	b, err := e.store.Get(context.Background(), pipeline.ResultKey("e2e-continue", broken))
	if err != nil || !strings.Contains(string(b), `"retryable": true`) {
		t.Errorf("failure record of %s: %s %v", broken, b, err)
	}
}

// An uploaded dataviews.txt with comments, blanks, duplicates and a bad
// line, delivered twice by S3: the trigger starts one execution (in moto's
// Step Functions), and that execution's input runs the upload end to end.
func TestE2EUploadAndDuplicateEvent(t *testing.T) {
	skipShort(t)
	e := newPipelineEnv(t, envOptions{})
	ctx := context.Background()
	list := strings.Join([]string{
		"# nightly list",
		"",
		"  " + goodFixtures[0] + "  ",
		goodFixtures[1] + "   # EMEA app",
		"not-a-data-view",
		goodFixtures[0],
		"\t" + goodFixtures[2],
	}, "\n") + "\n"
	key := "requests/team list.txt"
	put, err := e.moto.S3(t).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(e.bucket), Key: aws.String(key), Body: strings.NewReader(list),
	})
	if err != nil {
		t.Fatal(err)
	}
	// moto's bucket is not versioned: the sequencer tells uploads apart.
	event := s3Event(e.bucket, "requests/team+list.txt", aws.ToString(put.VersionId), "0066A1B2C3D4E5F601")

	sfc := e.moto.SFN(t)
	def := substitutedDefinition(t)
	sm, err := sfc.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(fmt.Sprintf("cja-sdr-%d", time.Now().UnixNano())), Definition: aws.String(def),
		RoleArn: aws.String("arn:aws:iam::" + account + ":role/cja-sdr-states"),
	})
	if err != nil {
		t.Fatal(err)
	}
	trigger, err := lambdaio.NewTrigger(func(k string) string {
		return map[string]string{pipeline.EnvStateMachineARN: aws.ToString(sm.StateMachineArn)}[k]
	}, e.moto.AWSConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// S3 delivers at least once. A redelivery while the run is going is
	// answered by Step Functions as the same execution (same name, same
	// input); one after the run has ended is ExecutionAlreadyExists. Either
	// way there is one run.
	first, err := trigger.Handle(ctx, event)
	if err != nil || len(first.Started) != 1 {
		t.Fatalf("first delivery: %+v, %v", first, err)
	}
	if again, err := trigger.Handle(ctx, event); err != nil || len(again.Started)+len(again.Duplicates) != 1 || append(again.Started, again.Duplicates...)[0] != first.Started[0] {
		t.Fatalf("second delivery while running: %+v, %v", again, err)
	}
	execs, err := sfc.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(execs.Executions) != 1 {
		t.Fatalf("%d executions for one upload delivered twice", len(execs.Executions))
	}
	if _, err := sfc.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: execs.Executions[0].ExecutionArn}); err != nil {
		t.Fatal(err)
	}
	late, err := trigger.Handle(ctx, event)
	if err != nil || len(late.Started) != 0 || len(late.Duplicates) != 1 {
		t.Fatalf("delivery after the run ended: %+v, %v; want a duplicate", late, err)
	}
	if execs, _ := sfc.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn}); len(execs.Executions) != 1 {
		t.Fatalf("%d executions after three deliveries of one upload", len(execs.Executions))
	}
	// Another upload of the same key is another run.
	other := s3Event(e.bucket, "requests/team+list.txt", "", "0066A1B2C3D4E5F699")
	if o, err := trigger.Handle(ctx, other); err != nil || len(o.Started) != 1 || o.Started[0] == first.Started[0] {
		t.Fatalf("a new upload of the same key: %+v, %v", o, err)
	}
	desc, err := sfc.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: execs.Executions[0].ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var input map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(desc.Input)), &input); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(input["source"]); !strings.Contains(got, "key:"+key) {
		t.Errorf("execution input %s does not name the decoded key %q", aws.ToString(desc.Input), key)
	}

	// Run what the trigger started: same name (= run id), same input.
	runID := aws.ToString(desc.Name)
	ex := e.run(runID, input)
	if ex.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s: %s", ex.Status, ex.Error, ex.Cause)
	}
	want := []string{goodFixtures[0], goodFixtures[1], goodFixtures[2]}
	s, _ := e.checkSummary(runID, want)
	if s.Successful != 3 || s.Requested != "source" || s.Source == nil || s.Source.Key != key {
		t.Errorf("summary: %d successful, requested %q, source %+v", s.Successful, s.Requested, s.Source)
	}
	if len(s.Problems) != 1 || s.Problems[0].Line != 5 || s.Problems[0].Text != "not-a-data-view" {
		t.Errorf("problems = %+v, want line 5 reported", s.Problems)
	}
	txt, _ := e.store.Get(ctx, pipeline.SummaryKey(runID, "txt"))
	if !strings.Contains(string(txt), "line 5") {
		t.Errorf("summary.txt does not report the bad line:\n%s", txt)
	}
}

func s3Event(bucket, encodedKey, version, sequencer string) pipeline.S3Event {
	raw := fmt.Sprintf(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put",
		"s3":{"bucket":{"name":%q},"object":{"key":%q,"versionId":%q,"sequencer":%q}}}]}`,
		bucket, encodedKey, version, sequencer)
	var ev pipeline.S3Event
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		panic(err)
	}
	return ev
}

// substitutedDefinition is the definition with the test's function ARNs, as
// DefinitionSubstitutions would make it.
func substitutedDefinition(t *testing.T) string {
	t.Helper()
	b, _ := json.Marshal(loadASL(t))
	def := string(b)
	for k, v := range substitutions {
		def = strings.ReplaceAll(def, "${"+k+"}", v)
	}
	return def
}

// The nightly schedule's default input documents every data view the
// credentials can see; the empty sandbox fails and the run goes on.
func TestE2ENightlyAll(t *testing.T) {
	skipShort(t)
	e := newPipelineEnv(t, envOptions{})
	var input map[string]any
	if err := json.Unmarshal([]byte(loadTemplate(t).paramDefault(t, "ScheduleInput")), &input); err != nil {
		t.Fatal(err)
	}
	ex := e.run("e2e-nightly", input)
	if ex.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s: %s", ex.Status, ex.Error, ex.Cause)
	}
	all := e.org.DataViewIDs()
	s, byID := e.checkSummary("e2e-nightly", all)
	if s.Requested != "all" || s.Failed != 1 || s.Successful != len(all)-1 {
		t.Errorf("summary: requested %q, statuses %v", s.Requested, statusesOf(byID))
	}
	if r := byID[sampleorg.EmptyDataViewID]; r.Status != "FAILED" || !strings.Contains(r.Error, "empty") {
		t.Errorf("empty data view: %+v", r)
	}
}

// A second run of the same data views finds their validation results in
// DynamoDB; the hits are counted in the records and the summary.
func TestE2EWarmCache(t *testing.T) {
	skipShort(t)
	e := newPipelineEnv(t, envOptions{})
	ids := goodFixtures[:3]
	for i, wantHits := range []int{0, 3} {
		name := fmt.Sprintf("e2e-cache-%d", i+1)
		ex := e.run(name, map[string]any{"dataViewIds": ids})
		if ex.Status != "SUCCEEDED" {
			t.Fatalf("%s: %s: %s", name, ex.Error, ex.Cause)
		}
		s, byID := e.checkSummary(name, ids)
		if s.CacheHits != wantHits {
			t.Errorf("%s: %d cache hits, want %d", name, s.CacheHits, wantHits)
		}
		for id, r := range byID {
			if r.CacheHit != (wantHits > 0) {
				t.Errorf("%s: %s cacheHit %v", name, id, r.CacheHit)
			}
		}
		var out pipeline.SummaryOutput
		_ = json.Unmarshal(ex.Output, &out)
		if out.CacheHits != wantHits {
			t.Errorf("%s: execution output counts %d hits", name, out.CacheHits)
		}
	}
}

// An expired cache item (DynamoDB deletes them up to days late) is ignored:
// the data view is checked again and the item replaced.
func TestE2EExpiredCacheItemIgnored(t *testing.T) {
	skipShort(t)
	e := newPipelineEnv(t, envOptions{})
	ctx := context.Background()
	id := sampleorg.MessyDataViewID // has real issues, unlike the planted item

	// The item the generator would look up, planted with no issues and an
	// expiry an hour ago.
	c := sampleorg.DemoCredentials()
	client, err := cja.New(cja.Config{OrgID: c.OrgID, ClientID: c.ClientID, Secret: c.Secret, Scopes: c.Scopes,
		IMSURL: e.orgURL, CJAURL: e.orgURL, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	data, err := client.FetchDataView(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	key := cache.Key(data.Metrics, data.Dimensions)
	past := func() time.Time { return time.Now().Add(-2 * time.Hour) }
	if err := cache.NewDynamoDB(e.moto.DynamoDB(t), e.table, time.Hour, past).Put(ctx, key, []quality.Issue{}); err != nil {
		t.Fatal(err)
	}
	live := cache.NewDynamoDB(e.moto.DynamoDB(t), e.table, time.Hour, nil)
	if _, ok, err := live.Get(ctx, key); ok || err != nil {
		t.Fatalf("planted item should read as expired: ok=%v err=%v", ok, err)
	}

	ex := e.run("e2e-expired", map[string]any{"dataViewIds": []string{id}})
	if ex.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s: %s", ex.Status, ex.Error, ex.Cause)
	}
	s, byID := e.checkSummary("e2e-expired", []string{id})
	if r := byID[id]; r.CacheHit || r.Issues == 0 || s.CacheHits != 0 {
		t.Errorf("%s: %+v (summary hits %d): the expired item was used", id, r, s.CacheHits)
	}
	issues, ok, err := live.Get(ctx, key)
	if !ok || err != nil || len(issues) == 0 {
		t.Errorf("the expired item was not replaced: ok=%v err=%v issues=%d", ok, err, len(issues))
	}
}
