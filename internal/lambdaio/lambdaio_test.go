package lambdaio

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/cja-sdr/cja-sdr/internal/pipeline"
)

func TestWorkerShare(t *testing.T) {
	for _, tc := range []struct {
		limit, workers int
		want           share
	}{
		{12, 1, share{12, ratePer}},
		{12, 4, share{3, ratePer}},
		{12, 5, share{2, ratePer}}, // 5 x 2 = 10 <= 12
		{12, 12, share{1, ratePer}},
		{12, 13, share{1, 2 * ratePer}},
		{12, 256, share{1, 22 * ratePer}},
		{0, 4, share{3, ratePer}}, // the default limit
		{12, 0, share{12, ratePer}},
	} {
		if got := workerShare(tc.limit, tc.workers); got != tc.want {
			t.Errorf("workerShare(%d, %d) = %+v, want %+v", tc.limit, tc.workers, got, tc.want)
		}
		// The workers together never exceed the limit on average.
		got := workerShare(tc.limit, tc.workers)
		limit := tc.limit
		if limit == 0 {
			limit = 12
		}
		perWindow := float64(max(tc.workers, 1)*got.limit) * float64(ratePer) / float64(got.per)
		if perWindow > float64(limit) {
			t.Errorf("workerShare(%d, %d): %g requests per window", tc.limit, tc.workers, perWindow)
		}
	}
}

func TestAWSConfig(t *testing.T) {
	env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s3cr3t",
		"AWS_SESSION_TOKEN": "tok", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}
	cfg, err := AWSConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKID" || creds.SessionToken != "tok" || cfg.Region != "eu-west-1" || *cfg.BaseEndpoint != "http://127.0.0.1:5000" {
		t.Errorf("config %+v creds %+v %v", cfg, creds, err)
	}
	delete(env, "AWS_REGION")
	env["AWS_DEFAULT_REGION"] = "us-west-2"
	if cfg, _ := AWSConfig(func(k string) string { return env[k] }); cfg.Region != "us-west-2" {
		t.Errorf("region %q", cfg.Region)
	}
	_, err = AWSConfig(func(string) string { return "" })
	var ce *pipeline.ConfigError
	if !errors.As(err, &ce) {
		t.Errorf("no environment: %v", err)
	}
}

func TestEnvProblemsAreAllReported(t *testing.T) {
	env := map[string]string{pipeline.EnvMaxWorkers: "0", pipeline.EnvContinueOnError: "maybe"}
	_, err := NewPlanner(func(k string) string { return env[k] }, testConfig(t), nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{pipeline.EnvBucket, pipeline.EnvSecretID, pipeline.EnvMaxWorkers, pipeline.EnvContinueOnError} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not name %s", err, want)
		}
	}
	env = map[string]string{pipeline.EnvBucket: "b", pipeline.EnvTable: "t", pipeline.EnvSecretID: "s", pipeline.EnvCacheTTLSeconds: "0"}
	g, err := NewGenerator(func(k string) string { return env[k] }, testConfig(t), nil)
	if err != nil || g.Cache != nil || g.Stops == nil || g.OutputPrefix != "sdr/" {
		t.Errorf("CACHE_TTL_SECONDS=0 should disable the cache only: %+v %v", g, err)
	}
}

func testConfig(t *testing.T) aws.Config {
	t.Helper()
	c, err := AWSConfig(func(k string) string {
		return map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type apiErr struct{ code string }

func (e apiErr) Error() string                 { return e.code }
func (e apiErr) ErrorCode() string             { return e.code }
func (e apiErr) ErrorMessage() string          { return e.code }
func (e apiErr) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

func TestSecretError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("read secret x: %w", apiErr{"ResourceNotFoundException"}), "ConfigError"},
		{fmt.Errorf("read secret x: %w", apiErr{"AccessDeniedException"}), "ConfigError"},
		{fmt.Errorf("read secret x: %w", apiErr{"InternalServiceError"}), "TransientError"},
		{&smithy.OperationError{ServiceID: "Secrets Manager", OperationName: "GetSecretValue", Err: errors.New("connection reset")}, "TransientError"},
		{fmt.Errorf("read secret x: %w", context.DeadlineExceeded), "DeadlineError"},
		{errors.New("secret x: missing client_id"), "ConfigError"},
	} {
		got := fmt.Sprintf("%T", secretError(tc.err))
		if got != "*pipeline."+tc.want {
			t.Errorf("%v: %s, want %s", tc.err, got, tc.want)
		}
	}
}
