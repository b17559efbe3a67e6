// Package functions_test builds each function's bootstrap exactly as SAM
// does (static, linux, -tags lambda.norpc) and runs it behind the Lambda
// Runtime Interface Emulator, so the binaries that deploy answer real
// Runtime API invocations: environment, AWS clients (moto), Secrets Manager
// credentials, the sample organisation, JSON logs, error types.
package functions_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/cja-sdr/cja-sdr/internal/awstest"
	"github.com/cja-sdr/cja-sdr/internal/pipeline"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
	"github.com/cja-sdr/cja-sdr/internal/syncbuf"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// rieVersion is the emulator the Makefile pins too.
const rieVersion = "v0.0.0-20261030222936-bef5c4ba774d"

// maxBootstrapBytes is the limit for a linux/arm64 bootstrap.
const maxBootstrapBytes = 20 << 20

var functions = []string{"planner", "generator", "summary", "trigger"}

func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// goBin is the go command running these tests (go test puts its GOROOT's
// bin first on PATH), else /usr/local/go's.
func goBin() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// buildBootstrap builds functions/<name> the way Makefile.pipeline.mk does,
// for goarch.
func buildBootstrap(t *testing.T, name, goarch, dir string) string {
	t.Helper()
	out := filepath.Join(dir, name, "bootstrap")
	cmd := exec.Command(goBin(), "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-buildvcs=false",
		"-o", out, "./functions/"+name)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s for linux/%s: %v\n%s", name, goarch, err, b)
	}
	return out
}

// TestBootstrapSize builds every bootstrap for linux/arm64, as deployed,
// and holds it to 20 MB.
func TestBootstrapSize(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles four binaries")
	}
	dir := t.TempDir()
	for _, name := range functions {
		p := buildBootstrap(t, name, "arm64", dir)
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %.1f MB", name, float64(fi.Size())/(1<<20))
		if fi.Size() > maxBootstrapBytes {
			t.Errorf("%s bootstrap is %d bytes, over 20 MB", name, fi.Size())
		}
	}
}

// rieBinary finds aws-lambda-rie (AWS_LAMBDA_RIE, bin/tools, PATH) or
// installs the pinned version into bin/tools.
func rieBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AWS_LAMBDA_RIE"); p != "" {
		return p
	}
	tools := filepath.Join(repoRoot(t), "bin", "tools")
	local := filepath.Join(tools, "aws-lambda-rie")
	if _, err := os.Stat(local); err == nil {
		return local
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	cmd := exec.Command(goBin(), "install", "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@"+rieVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+tools)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install aws-lambda-rie: %v\n%s", err, b)
	}
	return local
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// emulator is one aws-lambda-rie running one bootstrap.
type emulator struct {
	addr string
	cmd  *exec.Cmd
	logs *syncbuf.Buffer
	done chan struct{}
}

// startRIE runs bootstrap behind its own aws-lambda-rie, with its own
// Runtime API address, and the given function environment.
func startRIE(t *testing.T, rie, bootstrap string, env map[string]string) *emulator {
	t.Helper()
	e := &emulator{addr: freeAddr(t), logs: &syncbuf.Buffer{}, done: make(chan struct{})}
	e.cmd = exec.Command(rie,
		"--runtime-interface-emulator-address", e.addr,
		"--runtime-api-address", freeAddr(t),
		"--log-level", "error",
		bootstrap)
	e.cmd.Dir = filepath.Dir(bootstrap)
	e.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		e.cmd.Env = append(e.cmd.Env, k+"="+v)
	}
	e.cmd.Stdout, e.cmd.Stderr = e.logs, e.logs
	// Its own process group, so stopping it also stops the bootstrap it runs.
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.cmd.Wait(); close(e.done) }()
	t.Cleanup(e.stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", e.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return e
		}
		select {
		case <-e.done:
			t.Fatalf("aws-lambda-rie exited:\n%s", e.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("aws-lambda-rie did not listen on %s:\n%s", e.addr, e.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *emulator) stop() {
	select {
	case <-e.done:
		return
	default:
	}
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
	<-e.done
}

// invoke sends one event (the emulator takes one at a time) and returns the
// response body and, for a function error, its errorType. (The emulator
// does not send the service's X-Amz-Function-Error header; the body is the
// same.)
func (e *emulator) invoke(t *testing.T, event any) (body []byte, errType string) {
	t.Helper()
	payload, _ := json.Marshal(event)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
		"http://"+e.addr+"/2015-03-31/functions/function/invocations", bytes.NewReader(payload))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("invoke: %v\nlogs:\n%s", err, e.logs)
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke: HTTP %d %s\nlogs:\n%s", resp.StatusCode, body, e.logs)
	}
	var fe struct {
		ErrorType string `json:"errorType"`
	}
	if json.Unmarshal(body, &fe) == nil {
		errType = fe.ErrorType
	}
	return body, errType
}

// TestBootstrapsAnswerThroughRIE runs one small run by hand, each step
// through its function's real bootstrap: plan, generate (a good and a
// missing data view), summarise, and an S3 upload through the trigger.
func TestBootstrapsAnswerThroughRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstraps and runs them in aws-lambda-rie")
	}
	rie := rieBinary(t)
	m := awstest.Moto(t)
	ctx := context.Background()
	bucket, table := m.NewBucket(t), m.NewTable(t)

	creds := sampleorg.DemoCredentials()
	secretJSON, _ := json.Marshal(map[string]string{"org_id": creds.OrgID, "client_id": creds.ClientID,
		"secret": creds.Secret, "scopes": creds.Scopes})
	secretID := fmt.Sprintf("cja-sdr/rie-%d", time.Now().UnixNano())
	if _, err := m.SecretsManager(t).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(secretID), SecretString: aws.String(string(secretJSON))}); err != nil {
		t.Fatal(err)
	}
	org := httptest.NewServer(sampleorg.New(sampleorg.Options{}))
	defer org.Close()
	sm, err := m.SFN(t).CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name:       aws.String(fmt.Sprintf("cja-sdr-rie-%d", time.Now().UnixNano())),
		Definition: aws.String(`{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}`),
		RoleArn:    aws.String("arn:aws:iam::123456789012:role/cja-sdr"),
	})
	if err != nil {
		t.Fatal(err)
	}

	// Every function gets the whole environment; each reads only its own.
	env := map[string]string{
		"AWS_REGION": awstest.Region, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_ENDPOINT_URL":            m.Endpoint,
		"AWS_LAMBDA_LOG_FORMAT":       "JSON",
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "60",
		pipeline.EnvBucket:            bucket,
		pipeline.EnvTable:             table,
		pipeline.EnvSecretID:          secretID,
		pipeline.EnvCacheTTLSeconds:   "3600",
		pipeline.EnvOutputPrefix:      "sdr/",
		pipeline.EnvRateLimit:         "1000",
		pipeline.EnvMaxWorkers:        "4",
		pipeline.EnvFormats:           "excel",
		pipeline.EnvCJAAPIURL:         org.URL,
		pipeline.EnvCJAIMSURL:         org.URL,
		pipeline.EnvStateMachineARN:   aws.ToString(sm.StateMachineArn),
	}

	dir := t.TempDir()
	bootstraps := map[string]string{}
	for _, name := range functions {
		bootstraps[name] = buildBootstrap(t, name, runtime.GOARCH, dir)
	}
	var allLogs strings.Builder
	run := func(name string, steps func(e *emulator)) {
		e := startRIE(t, rie, bootstraps[name], env)
		steps(e)
		e.stop()
		allLogs.WriteString(e.logs.String())
	}

	const runID = "rie-run"
	run("planner", func(e *emulator) {
		body, ferr := e.invoke(t, map[string]any{
			"input":         map[string]any{"dataViewIds": []string{sampleorg.ProductionDataViewID, sampleorg.MissingDataViewID}},
			"executionName": runID, "startTime": "2026-12-04T20:00:00.000Z",
		})
		var plan pipeline.Plan
		if ferr != "" || json.Unmarshal(body, &plan) != nil || plan.RunID != runID || plan.Count != 2 || plan.Workers != 2 {
			t.Errorf("planner: %s (function error %q)", body, ferr)
		}
		body, ferr = e.invoke(t, map[string]any{"input": map[string]any{"dataViews": []string{"dv_x"}}})
		if ferr != "InputError" {
			t.Errorf("planner with a misspelt field: %s (function error %q), want an InputError", body, ferr)
		}
	})
	run("generator", func(e *emulator) {
		for i, want := range []string{"SUCCESS", "FAILED"} {
			body, ferr := e.invoke(t, map[string]any{"runId": runID, "index": i})
			var out pipeline.GenerateOutput
			if ferr != "" || json.Unmarshal(body, &out) != nil || string(out.Status) != want {
				t.Errorf("generator index %d: %s (function error %q), want %s", i, body, ferr, want)
			}
		}
	})
	run("summary", func(e *emulator) {
		body, ferr := e.invoke(t, map[string]any{"runId": runID})
		var out pipeline.SummaryOutput
		if ferr != "" || json.Unmarshal(body, &out) != nil || out.Total != 2 || out.Successful != 1 || out.Failed != 1 {
			t.Errorf("summary: %s (function error %q)", body, ferr)
		}
	})
	run("trigger", func(e *emulator) {
		event := map[string]any{"Records": []any{map[string]any{
			"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
			"s3": map[string]any{"bucket": map[string]any{"name": bucket},
				"object": map[string]any{"key": "requests/rie+list.txt", "sequencer": "00AB"}},
		}}}
		body, ferr := e.invoke(t, event)
		var out pipeline.TriggerOutput
		if ferr != "" || json.Unmarshal(body, &out) != nil || len(out.Started) != 1 {
			t.Errorf("trigger: %s (function error %q)", body, ferr)
		}
	})

	// The functions log JSON, and never the secret.
	logs := allLogs.String()
	if strings.Contains(logs, creds.Secret) {
		t.Error("a function logged the client secret")
	}
	jsonLines := 0
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "{") {
			var v map[string]any
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Errorf("log line is not JSON: %s", line)
			}
			if v["msg"] == "run planned" && v["requestId"] == nil {
				t.Errorf("log line without the request id: %s", line)
			}
			jsonLines++
		}
	}
	if jsonLines == 0 {
		t.Errorf("no JSON log lines from the functions:\n%s", logs)
	}
}
