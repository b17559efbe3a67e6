package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
)

// starter records executions like Step Functions: a name starts once.
type starter struct {
	started map[string]string // name -> input
	err     error
}

func (s *starter) StartExecution(_ context.Context, arn, name, input string) error {
	if s.err != nil {
		return s.err
	}
	if _, ok := s.started[name]; ok {
		return ErrExecutionExists
	}
	s.started[name] = input
	return nil
}

func event(t *testing.T, records ...string) S3Event {
	t.Helper()
	var ev S3Event
	if err := json.Unmarshal([]byte(`{"Records":[`+strings.Join(records, ",")+`]}`), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func rec(name, key, version, sequencer string) string {
	b, _ := json.Marshal(map[string]any{"eventSource": "aws:s3", "eventName": name,
		"s3": map[string]any{"bucket": map[string]any{"name": "bkt"},
			"object": map[string]any{"key": key, "versionId": version, "sequencer": sequencer}}})
	return string(b)
}

func TestTriggerStartsOneRunPerUpload(t *testing.T) {
	st := &starter{started: map[string]string{}}
	tr := &Trigger{Starter: st, StateMachineARN: "arn:sm"}
	ev := event(t,
		rec("ObjectCreated:Put", "requests/team+list%281%29.txt", "v1", "01"),
		rec("ObjectCreated:Put", "requests/notes.md", "v1", "02"),
		rec("ObjectCreated:Put", "other/ids.txt", "v1", "03"),
		rec("ObjectRemoved:Delete", "requests/old.txt", "v1", "04"),
	)
	out, err := tr.Handle(context.Background(), ev)
	if err != nil || len(out.Started) != 1 || out.Skipped != 3 {
		t.Fatalf("%+v %v", out, err)
	}
	var input map[string]Source
	if err := json.Unmarshal([]byte(st.started[out.Started[0]]), &input); err != nil {
		t.Fatal(err)
	}
	if got := input["source"]; got != (Source{Bucket: "bkt", Key: "requests/team list(1).txt", VersionID: "v1"}) {
		t.Errorf("execution input source %+v: the key must be URL-decoded", got)
	}
	// The planner accepts what the trigger sends.
	if _, err := DecodeRequest(json.RawMessage(st.started[out.Started[0]])); err != nil {
		t.Errorf("trigger input rejected by the planner: %v", err)
	}

	again, err := tr.Handle(context.Background(), event(t, rec("ObjectCreated:Put", "requests/team+list%281%29.txt", "v1", "01")))
	if err != nil || len(again.Started) != 0 || len(again.Duplicates) != 1 || again.Duplicates[0] != out.Started[0] {
		t.Errorf("redelivery: %+v %v", again, err)
	}
	next, err := tr.Handle(context.Background(), event(t, rec("ObjectCreated:Put", "requests/team+list%281%29.txt", "v2", "05")))
	if err != nil || len(next.Started) != 1 {
		t.Errorf("a new version is a new run: %+v %v", next, err)
	}

	st.err = errors.New("throttled")
	if _, err := tr.Handle(context.Background(), event(t, rec("ObjectCreated:Put", "requests/z.txt", "v1", "06"))); !isType[*TransientError](err) {
		t.Errorf("failed start: %T %v, want *TransientError so Lambda retries the event", err, err)
	}
	if _, err := tr.Handle(context.Background(), event(t, rec("ObjectCreated:Put", "requests/%zz.txt", "v1", "07"))); !isType[*InputError](err) {
		t.Errorf("undecodable key: %v", err)
	}
}

func TestExecutionName(t *testing.T) {
	allowed := regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	a := ExecutionName("bkt", "requests/dataviews.txt", "v:1")
	if a != ExecutionName("bkt", "requests/dataviews.txt", "v:1") {
		t.Error("not deterministic")
	}
	for _, other := range []string{
		ExecutionName("bkt2", "requests/dataviews.txt", "v:1"),
		ExecutionName("bkt", "requests/dataviews2.txt", "v:1"),
		ExecutionName("bkt", "requests/dataviews.txt", "v:2"),
	} {
		if other == a {
			t.Errorf("%s names two uploads", a)
		}
	}
	for _, key := range []string{"requests/dataviews.txt", "requests/ünïcode & spaces (1).txt",
		"requests/" + strings.Repeat("x", 300) + ".txt", "requests/.txt", "requests/###.txt"} {
		n := ExecutionName("bkt", key, "s:0066")
		if !allowed.MatchString(n) || !validRunID(n) {
			t.Errorf("%q -> %q is not a valid execution name / run id", key, n)
		}
	}
	if !strings.HasPrefix(a, "dataviews-") {
		t.Errorf("%s does not say which file started it", a)
	}
}

// The sample events in events/ are what the handlers accept.
func TestSampleEvents(t *testing.T) {
	read := func(name string, v any) {
		t.Helper()
		b, err := os.ReadFile("../../events/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"start-execution.json", "all-dataviews.json", "scheduler.json", "upload-source.json"} {
		var raw json.RawMessage
		read(name, &raw)
		if _, err := DecodeRequest(raw); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	var pi PlanInput
	read("planner.json", &pi)
	if _, err := DecodeRequest(pi.Input); err != nil || pi.ExecutionName == "" {
		t.Errorf("planner.json: %v", err)
	}
	var gi, gf GenerateInput
	read("generator.json", &gi)
	read("generator-failure.json", &gf)
	if gi.Index == nil || gf.Failure == nil || !strings.Contains(FailureMessage(*gf.Failure), "503") {
		t.Errorf("generator events: %+v %+v", gi, gf)
	}
	var si SummaryInput
	read("summary.json", &si)
	if !validRunID(si.RunID) {
		t.Errorf("summary.json run id %q", si.RunID)
	}
	var ev S3Event
	read("s3-put.json", &ev)
	st := &starter{started: map[string]string{}}
	out, err := (&Trigger{Starter: st}).Handle(context.Background(), ev)
	if err != nil || len(out.Started) != 1 || !strings.Contains(st.started[out.Started[0]], `"key":"requests/nightly list.txt"`) {
		t.Errorf("s3-put.json: %+v %v %v", out, err, st.started)
	}
}
