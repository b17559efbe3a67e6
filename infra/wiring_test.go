package infra_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/cja-sdr/cja-sdr/internal/cache"
	"github.com/cja-sdr/cja-sdr/internal/lambdaio"
	"github.com/cja-sdr/cja-sdr/internal/pipeline"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

// optionalEnv are variables the code reads that the template rightly leaves
// unset: endpoint overrides for local stand-ins.
var optionalEnv = map[string]string{
	pipeline.EnvCJAAPIURL: "tests point the API at the sample organisation",
	pipeline.EnvCJAIMSURL: "tests point IMS at the sample organisation",
	"AWS_ENDPOINT_URL_S3": "path-style S3 addressing for local endpoints",
}

// recordingEnv serves a function's template environment (parameters at
// their defaults) and records every name the code asks for.
type recordingEnv struct {
	mu   sync.Mutex
	vals map[string]string
	read map[string]bool
}

func (e *recordingEnv) get(name string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.read[name] = true
	return e.vals[name]
}

func (e *recordingEnv) names() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Sorted(func(yield func(string) bool) {
		for k := range e.read {
			if !yield(k) {
				return
			}
		}
	})
}

// resolve gives a template value the string CloudFormation would pass:
// parameters at their defaults, resources as a stand-in name.
func (tp tmpl) resolve(t testing.TB, v any) string {
	t.Helper()
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok {
			if get(map[string]any(tp), "Parameters", ref) != nil {
				return tp.paramDefault(t, ref)
			}
			return "stand-in-" + strings.ToLower(ref)
		}
		if sub, ok := x["Fn::Sub"].(string); ok {
			return regexp.MustCompile(`\$\{[^}]+\}`).ReplaceAllString(sub, "x")
		}
	}
	t.Fatalf("cannot resolve template value %v", v)
	return ""
}

func (tp tmpl) functionEnv(t testing.TB, id string) map[string]string {
	t.Helper()
	fn := tp.resources()[id]
	vars, _ := get(fn, "Properties", "Environment", "Variables").(map[string]any)
	out := map[string]string{}
	for k, v := range vars {
		out[k] = tp.resolve(t, v)
	}
	return out
}

// constructors are what functions/<dir>/main.go calls, by logical id.
var constructors = map[string]func(lambdaio.Getenv, aws.Config, *slog.Logger) (any, error){
	"PlannerFunction": func(g lambdaio.Getenv, c aws.Config, l *slog.Logger) (any, error) {
		return lambdaio.NewPlanner(g, c, l)
	},
	"GeneratorFunction": func(g lambdaio.Getenv, c aws.Config, l *slog.Logger) (any, error) {
		return lambdaio.NewGenerator(g, c, l)
	},
	"SummaryFunction": func(g lambdaio.Getenv, c aws.Config, l *slog.Logger) (any, error) {
		return lambdaio.NewSummariser(g, c, l)
	},
	"TriggerFunction": func(g lambdaio.Getenv, c aws.Config, l *slog.Logger) (any, error) {
		return lambdaio.NewTrigger(g, c, l)
	},
}

// TestTemplateEnvMatchesCode builds every function from exactly the
// environment the template gives it (parameters at their defaults) and
// compares the variables the code read with those the template sets: none
// missing (the function would start misconfigured), none unused (a renamed
// variable would silently fall back to a default).
func TestTemplateEnvMatchesCode(t *testing.T) {
	tp := loadTemplate(t)
	for id, build := range constructors {
		t.Run(id, func(t *testing.T) {
			set := tp.functionEnv(t, id)
			env := &recordingEnv{vals: set, read: map[string]bool{}}
			if _, err := build(env.get, aws.Config{Region: "us-east-1"}, nil); err != nil {
				t.Fatalf("the template's environment does not configure %s: %v", id, err)
			}
			read := env.names()
			for name := range set {
				if !slices.Contains(read, name) {
					t.Errorf("template sets %s for %s, but the code never reads it", name, id)
				}
			}
			for _, name := range read {
				if _, ok := set[name]; !ok && optionalEnv[name] == "" {
					t.Errorf("%s reads %s, which the template does not set", id, name)
				}
			}
		})
	}
	// And every function's configuration problems are reported, not ignored.
	if _, err := lambdaio.NewGenerator(func(string) string { return "" }, aws.Config{}, nil); err == nil ||
		!strings.Contains(err.Error(), pipeline.EnvBucket) || !strings.Contains(err.Error(), pipeline.EnvTable) {
		t.Errorf("generator with no environment: err = %v, want BUCKET and TABLE named", err)
	}
}

func TestTemplateCacheTable(t *testing.T) {
	tp := loadTemplate(t)
	table := tp.resources()["CacheTable"]
	if got := str(get(table, "Properties", "TimeToLiveSpecification", "AttributeName")); got != cache.TTLAttribute {
		t.Errorf("TTL attribute = %q, the cache writes %q", got, cache.TTLAttribute)
	}
	if got := str(get(table, "Properties", "TimeToLiveSpecification", "Enabled")); got != "true" {
		t.Errorf("TTL Enabled = %q", got)
	}
	if got := str(get(table, "Properties", "BillingMode")); got != "PAY_PER_REQUEST" {
		t.Errorf("BillingMode = %q, want on-demand", got)
	}
	if got := str(get(table, "Properties", "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled")); got != "true" {
		t.Errorf("point-in-time recovery = %q", got)
	}
	ks, _ := json.Marshal(get(table, "Properties", "KeySchema"))
	if string(ks) != `[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}]` {
		t.Errorf("KeySchema = %s, the cache uses pk (hash) and sk (range)", ks)
	}
	if got := tp.functionEnv(t, "GeneratorFunction")[pipeline.EnvTable]; got != "stand-in-cachetable" {
		t.Errorf("generator TABLE = %q, want !Ref CacheTable", got)
	}
}

// TestWorkersReachMapConcurrency follows the Workers parameter to the Map:
// Workers -> the planner's MAX_WORKERS -> the plan's "workers" field ->
// the Map's MaxConcurrencyPath. The end-to-end test measures the result.
func TestWorkersReachMapConcurrency(t *testing.T) {
	tp := loadTemplate(t)
	workers := get(map[string]any(tp), "Parameters", "Workers")
	if d, mx := str(get(workers, "Default")), str(get(workers, "MaxValue")); d != "4" || mx != fmt.Sprint(pipeline.MaxWorkers) {
		t.Errorf("Workers Default/MaxValue = %s/%s, want 4/%d", d, mx, pipeline.MaxWorkers)
	}
	ref, _ := json.Marshal(get(tp.resources()["PlannerFunction"], "Properties", "Environment", "Variables", pipeline.EnvMaxWorkers))
	if string(ref) != `{"Ref":"Workers"}` {
		t.Fatalf("planner %s = %s, want !Ref Workers", pipeline.EnvMaxWorkers, ref)
	}

	m := findState(t, loadASL(t), "GenerateAll")
	if m["MaxConcurrency"] != nil {
		t.Error("the Map has a fixed MaxConcurrency; it must take the plan's workers")
	}
	concurrencyPath := str(m["MaxConcurrencyPath"])
	itemsPath := str(m["ItemsPath"])

	env := tp.functionEnv(t, "PlannerFunction")
	env[pipeline.EnvMaxWorkers] = "3" // as if deployed with Workers=3
	p, err := lambdaio.NewPlanner(func(k string) string { return env[k] }, aws.Config{Region: "us-east-1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Store = store.NewMemory()
	ids := make([]string, 12)
	for i := range ids {
		ids[i] = fmt.Sprintf("dv_wiring%02d", i)
	}
	for _, tc := range []struct {
		input string
		want  int
	}{
		{`{"dataViewIds": %s}`, 3},                 // the deployment's default
		{`{"dataViewIds": %s, "workers": 100}`, 3}, // capped by the deployment
		{`{"dataViewIds": %s, "workers": 2}`, 2},   // fewer on request
	} {
		idsJSON, _ := json.Marshal(ids)
		in := fmt.Sprintf(tc.input, idsJSON)
		plan, err := p.Handle(context.Background(), pipeline.PlanInput{Input: json.RawMessage(in), ExecutionName: "wiring"})
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		var state map[string]any
		b, _ := json.Marshal(plan)
		_ = json.Unmarshal(b, &state)
		if got := jsonPath(t, state, concurrencyPath); got != float64(tc.want) {
			t.Errorf("%s: %s = %v, want %d", in, concurrencyPath, got, tc.want)
		}
		if items, _ := jsonPath(t, state, itemsPath).([]any); len(items) != len(ids) {
			t.Errorf("%s: %s has %d items, want %d", in, itemsPath, len(items), len(ids))
		}
		// Every path the Map's ItemSelector reads exists in the plan.
		for k, v := range m["ItemSelector"].(map[string]any) {
			if path := str(v); strings.HasPrefix(path, "$.") {
				if jsonPath(t, state, path) == nil {
					t.Errorf("ItemSelector %s reads %s, which the plan lacks", k, path)
				}
			}
		}
	}
}

// jsonPath evaluates the simple "$.a.b" paths this definition uses.
func jsonPath(t testing.TB, v any, path string) any {
	t.Helper()
	if !strings.HasPrefix(path, "$.") {
		t.Fatalf("unsupported path %q", path)
	}
	return get(v, strings.Split(path[2:], ".")...)
}

// findState finds a state by name anywhere in the definition.
func findState(t testing.TB, def map[string]any, name string) map[string]any {
	t.Helper()
	var found map[string]any
	var walk func(d map[string]any)
	walk = func(d map[string]any) {
		states, _ := d["States"].(map[string]any)
		for n, s := range states {
			sm := s.(map[string]any)
			if n == name {
				found = sm
			}
			if inner, ok := sm["ItemProcessor"].(map[string]any); ok {
				walk(inner)
			}
		}
	}
	walk(def)
	if found == nil {
		t.Fatalf("state %s not found", name)
	}
	return found
}

func TestDefinitionSubstitutions(t *testing.T) {
	tp := loadTemplate(t)
	sms := tp.resourcesOf("AWS::Serverless::StateMachine")
	sm, ok := sms["StateMachine"]
	if !ok || len(sms) != 1 {
		t.Fatalf("want one state machine named StateMachine, got %v", keys(sms))
	}
	if got := str(get(sm, "Properties", "DefinitionUri")); got != "infra/statemachine.asl.json" {
		t.Errorf("DefinitionUri = %q: the tests execute infra/statemachine.asl.json, so that must be what deploys", got)
	}
	subs, _ := get(sm, "Properties", "DefinitionSubstitutions").(map[string]any)
	raw, _ := json.Marshal(loadASL(t))
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`).FindAllStringSubmatch(string(raw), -1) {
		used[m[1]] = true
		if subs[m[1]] == nil {
			t.Errorf("the definition uses ${%s}, which DefinitionSubstitutions lacks", m[1])
		}
	}
	for k, v := range subs {
		if !used[k] {
			t.Errorf("DefinitionSubstitutions has %s, which the definition never uses", k)
		}
		att, _ := get(v, "Fn::GetAtt").([]any)
		if len(att) != 2 || att[1] != "Arn" || functionDirs[fmt.Sprint(att[0])] == "" {
			t.Errorf("substitution %s = %v, want !GetAtt <Function>.Arn", k, v)
		}
	}
}

// TestDefinitionShape pins what the issue asks of the state machine.
func TestDefinitionShape(t *testing.T) {
	def := loadASL(t)
	if def["QueryLanguage"] != nil && def["QueryLanguage"] != "JSONPath" {
		t.Errorf("QueryLanguage = %v, want JSONPath", def["QueryLanguage"])
	}
	m := findState(t, def, "GenerateAll")
	if got := fmt.Sprint(get(m, "ItemProcessor", "ProcessorConfig")); got != "map[ExecutionType:EXPRESS Mode:DISTRIBUTED]" {
		t.Errorf("Map ProcessorConfig = %s", got)
	}
	if got := str(get(m, "Catch")); got != "" || m["Catch"] == nil {
		t.Error("the Map has no Catch: a stopped run would end without its summary")
	}
	gen := findState(t, def, "Generate")
	var retried []string
	for _, r := range gen["Retry"].([]any) {
		for _, e := range get(r, "ErrorEquals").([]any) {
			retried = append(retried, e.(string))
		}
		if get(r, "BackoffRate") == nil {
			t.Errorf("retrier %v has no backoff", get(r, "ErrorEquals"))
		}
	}
	for _, want := range []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
		"Lambda.TooManyRequestsException", "TransientError", "DeadlineError"} {
		if !slices.Contains(retried, want) {
			t.Errorf("Generate does not retry %s", want)
		}
	}
	// The error names are the Go types' names: that is what Lambda reports.
	for name, err := range map[string]error{"TransientError": &pipeline.TransientError{}, "DeadlineError": &pipeline.DeadlineError{}} {
		if got := fmt.Sprintf("%T", err); got != "*pipeline."+name {
			t.Errorf("%s is %s", name, got)
		}
	}
	catch := gen["Catch"].([]any)
	if len(catch) != 1 || str(get(catch[0], "Next")) != "RecordFailure" {
		t.Errorf("Generate's Catch = %v, want everything to go to RecordFailure", catch)
	}
	for _, s := range []string{"Plan", "Generate", "RecordFailure", "Summarise"} {
		if findState(t, def, s)["TimeoutSeconds"] == nil {
			t.Errorf("Task %s has no TimeoutSeconds", s)
		}
	}
}

// TestTemplatePermissions holds least privilege: no wildcard actions on
// data, the secret readable only where the API is called, S3 access by
// prefix.
func TestTemplatePermissions(t *testing.T) {
	tp := loadTemplate(t)
	secretReaders := map[string]bool{}
	for id, fn := range tp.resourcesOf("AWS::Serverless::Function") {
		pols, _ := get(fn, "Properties", "Policies").([]any)
		if len(pols) == 0 {
			t.Errorf("%s has no policy", id)
		}
		for _, pol := range pols {
			stmts, _ := get(pol, "Statement").([]any)
			if stmts == nil {
				t.Errorf("%s uses a policy template %v; write statements so they can be checked", id, pol)
			}
			for _, st := range stmts {
				actions := asStrings(get(st, "Action"))
				for _, a := range actions {
					if strings.Contains(a, "*") {
						t.Errorf("%s allows wildcard action %s", id, a)
					}
					if a == "secretsmanager:GetSecretValue" {
						secretReaders[id] = true
					}
				}
				if res := get(st, "Resource"); res == "*" {
					t.Errorf("%s allows %v on every resource", id, actions)
				}
			}
		}
		if tp.functionEnv(t, id) == nil {
			t.Errorf("%s has no environment", id)
		}
		lg := tp.resources()[strings.TrimSuffix(id, "Function")+"LogGroup"]
		if got, _ := json.Marshal(get(lg, "Properties", "RetentionInDays")); string(got) != `{"Ref":"LogRetentionDays"}` {
			t.Errorf("%s log group retention = %s", id, got)
		}
	}
	if got := strings.Join(sorted(keys(secretReaders)), ","); got != "GeneratorFunction,PlannerFunction" {
		t.Errorf("functions reading the secret: %s, want only the planner and the generator", got)
	}
	if typ := str(get(get(map[string]any(tp), "Parameters", "CredentialsSecretName"), "Type")); typ != "String" {
		t.Errorf("CredentialsSecretName type %q", typ)
	}
	for name, p := range get(map[string]any(tp), "Parameters").(map[string]any) {
		l := strings.ToLower(name)
		if (strings.Contains(l, "secret") && name != "CredentialsSecretName") || strings.Contains(l, "password") || strings.Contains(l, "clientid") {
			t.Errorf("parameter %s (%v) looks like a credential: credentials belong in Secrets Manager", name, p)
		}
	}
}

func TestTemplateBucketAndTriggers(t *testing.T) {
	tp := loadTemplate(t)
	b := tp.resources()["Bucket"]
	if got := str(get(b, "Properties", "VersioningConfiguration", "Status")); got != "Enabled" {
		t.Errorf("versioning %q", got)
	}
	if get(b, "Properties", "BucketEncryption") == nil {
		t.Error("bucket not encrypted")
	}
	pab, _ := get(b, "Properties", "PublicAccessBlockConfiguration").(map[string]any)
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if pab[k] != "true" {
			t.Errorf("public access block %s = %v", k, pab[k])
		}
	}
	pol, _ := json.Marshal(get(tp.resources()["BucketPolicy"], "Properties", "PolicyDocument"))
	if !strings.Contains(string(pol), `"aws:SecureTransport":"false"`) || !strings.Contains(string(pol), `"Effect":"Deny"`) {
		t.Errorf("bucket policy does not deny plain HTTP: %s", pol)
	}
	rules, _ := json.Marshal(get(b, "Properties", "LifecycleConfiguration"))
	if !strings.Contains(string(rules), `"Prefix":"runs/"`) {
		t.Errorf("no lifecycle rule for run records: %s", rules)
	}

	up := get(tp.resources()["TriggerFunction"], "Properties", "Events", "Upload")
	filter, _ := json.Marshal(get(up, "Properties", "Filter"))
	if str(get(up, "Type")) != "S3" || !strings.Contains(string(filter), `"Value":"`+pipeline.RequestsPrefix+`"`) || !strings.Contains(string(filter), `"Value":".txt"`) {
		t.Errorf("upload trigger = %v, want S3 on %s*.txt", up, pipeline.RequestsPrefix)
	}
	// The trigger's ARN is built from the state machine's fixed name.
	sm := tp.resources()["StateMachine"]
	name, _ := json.Marshal(get(sm, "Properties", "Name"))
	arn := str(get(tp.resources()["TriggerFunction"], "Properties", "Environment", "Variables", pipeline.EnvStateMachineARN, "Fn::Sub"))
	if string(name) != `{"Ref":"AWS::StackName"}` || !strings.HasSuffix(arn, ":stateMachine:${AWS::StackName}") {
		t.Errorf("trigger STATE_MACHINE_ARN %q does not name the state machine (Name %s)", arn, name)
	}

	nightly := get(sm, "Properties", "Events", "Nightly")
	if str(get(nightly, "Type")) != "ScheduleV2" {
		t.Fatalf("nightly schedule = %v", nightly)
	}
	for prop, param := range map[string]string{"ScheduleExpression": "ScheduleExpression",
		"ScheduleExpressionTimezone": "ScheduleTimezone", "Input": "ScheduleInput", "State": "ScheduleState"} {
		if got, _ := json.Marshal(get(nightly, "Properties", prop)); string(got) != `{"Ref":"`+param+`"}` {
			t.Errorf("schedule %s = %s, want !Ref %s", prop, got, param)
		}
	}
	// The default schedule input must be a valid execution input.
	if _, err := pipeline.DecodeRequest(json.RawMessage(tp.paramDefault(t, "ScheduleInput"))); err != nil {
		t.Errorf("default ScheduleInput: %v", err)
	}
	alarm := tp.resourcesOf("AWS::CloudWatch::Alarm")
	if len(alarm) != 1 {
		t.Fatalf("want one alarm, got %v", keys(alarm))
	}
	for _, a := range alarm {
		if str(get(a, "Properties", "MetricName")) != "ExecutionsFailed" {
			t.Errorf("alarm on %v", get(a, "Properties", "MetricName"))
		}
	}
}

func asStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

func sorted(s []string) []string { sort.Strings(s); return s }

// TestGeneratorMayRemovePartialSDRs: render.Write stores a data view's
// formats one by one and deletes those already stored when a later one fails
// or the Lambda deadline nears. Without s3:DeleteObject on the SDR prefix that
// cleanup is refused, and a failed data view leaves part of its SDR behind.
func TestGeneratorMayRemovePartialSDRs(t *testing.T) {
	tp := loadTemplate(t)
	fn := tp.resources()["GeneratorFunction"]
	pols, _ := get(fn, "Properties", "Policies").([]any)
	for _, pol := range pols {
		stmts, _ := get(pol, "Statement").([]any)
		for _, st := range stmts {
			if str(get(st, "Effect")) != "Allow" || !slices.Contains(asStrings(get(st, "Action")), "s3:DeleteObject") {
				continue
			}
			res := get(st, "Resource")
			if list, ok := res.([]any); ok {
				for _, r := range list {
					if str(get(r, "Fn::Sub")) == "${Bucket.Arn}/${OutputPrefix}*" {
						return
					}
				}
			} else if str(get(res, "Fn::Sub")) == "${Bucket.Arn}/${OutputPrefix}*" {
				return
			}
		}
	}
	t.Fatal("GeneratorFunction may not s3:DeleteObject under ${OutputPrefix}: a data view that fails after storing some formats leaves them in the bucket")
}
