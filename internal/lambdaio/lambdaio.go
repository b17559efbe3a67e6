// Package lambdaio wires the pipeline's handlers to AWS: it reads each
// function's environment, builds the SDK clients, and adapts S3 and Step
// Functions to the small interfaces of package pipeline. functions/<name>
// calls one New* function and lambda.Start; the end-to-end tests call the
// same New* functions with moto's configuration, so the wiring that deploys
// is the wiring that is tested.
//
// Nothing here makes a network call at construction: credentials, the IMS
// token and clients are fetched on first use and then kept for the life of
// the container.
package lambdaio

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/cja-sdr/cja-sdr/internal/cache"
	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/pipeline"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

// Version is the tool version written into SDRs; the build may set it with
// -ldflags "-X github.com/cja-sdr/cja-sdr/internal/lambdaio.Version=...".
var Version = "dev"

// Getenv reads one environment variable (os.Getenv in Lambda, a map in tests).
type Getenv func(string) string

// Logger is the functions' logger: JSON (or text) as the function's
// LoggingConfig says, with the request id on every line.
func Logger() *slog.Logger {
	return slog.New(lambdacontext.NewLogHandler())
}

// AWSConfig builds the SDK configuration from the Lambda environment: the
// region, the execution role's credentials (Lambda puts them in the
// environment) and AWS_ENDPOINT_URL, which the local tests point at moto.
//
// It does not call config.LoadDefaultConfig: its shared-config, SSO and STS
// machinery is never used in Lambda and adds most of a megabyte to every
// bootstrap, which must stay under 20 MB.
func AWSConfig(getenv Getenv) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if region == "" || id == "" || secret == "" {
		return aws.Config{}, &pipeline.ConfigError{Msg: "AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them)"}
	}
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: getenv("AWS_SESSION_TOKEN"), Source: "environment"}
	cfg := aws.Config{
		Region: region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return creds, nil
		}),
	}
	if ep := getenv("AWS_ENDPOINT_URL"); ep != "" {
		cfg.BaseEndpoint = aws.String(ep)
	}
	return cfg, nil
}

// Option changes how a function is wired. The deployed functions use none;
// tests use them to take the waits out of retries.
type Option func(*options)

type options struct {
	cja func(*cja.Config)
}

func applyOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithCJAConfig has f adjust each CJA API client's configuration before the
// client is built (for tests: record retry waits instead of sleeping them,
// shorter time-outs). The credentials, URLs and rate limit are already set.
func WithCJAConfig(f func(*cja.Config)) Option {
	return func(o *options) { o.cja = f }
}

// NewPlanner wires the planner: BUCKET, SECRET_ID, MAX_WORKERS,
// CONTINUE_ON_ERROR, FORMATS, RATE_LIMIT (and the CJA URL overrides).
func NewPlanner(getenv Getenv, cfg aws.Config, log *slog.Logger, opts ...Option) (*pipeline.Planner, error) {
	e := env{get: getenv}
	bucket := e.required(pipeline.EnvBucket)
	maxWorkers := e.integer(pipeline.EnvMaxWorkers, 4, 1, pipeline.MaxWorkers)
	continueOnError := e.boolean(pipeline.EnvContinueOnError, false)
	formats := e.list(pipeline.EnvFormats)
	clients := newCJAClients(&e, secretsmanager.NewFromConfig(cfg), log, applyOptions(opts).cja)
	if err := e.err(); err != nil {
		return nil, err
	}
	s3c := newS3(cfg, getenv)
	return &pipeline.Planner{
		Store:   store.NewS3(s3c, bucket, ""),
		Bucket:  bucket,
		Sources: s3Sources{s3c},
		Lister: func(ctx context.Context) (pipeline.Lister, error) {
			// Listing is a single paged call; one worker's share is the
			// whole rate limit.
			return clients.get(ctx, 1)
		},
		MaxWorkers:      maxWorkers,
		ContinueOnError: continueOnError,
		Formats:         formats,
		Log:             log,
	}, nil
}

// NewGenerator wires the generator: BUCKET, TABLE, SECRET_ID,
// CACHE_TTL_SECONDS, OUTPUT_PREFIX, RATE_LIMIT (and the CJA URL overrides).
func NewGenerator(getenv Getenv, cfg aws.Config, log *slog.Logger, opts ...Option) (*pipeline.Generator, error) {
	e := env{get: getenv}
	bucket := e.required(pipeline.EnvBucket)
	table := e.required(pipeline.EnvTable)
	ttl := e.integer(pipeline.EnvCacheTTLSeconds, 7*24*3600, 0, 10*365*24*3600)
	prefix := e.optional(pipeline.EnvOutputPrefix, "sdr/")
	clients := newCJAClients(&e, secretsmanager.NewFromConfig(cfg), log, applyOptions(opts).cja)
	if err := e.err(); err != nil {
		return nil, err
	}
	ddb := dynamodb.NewFromConfig(cfg)
	g := &pipeline.Generator{
		Store:        store.NewS3(newS3(cfg, getenv), bucket, ""),
		Fetcher:      clients.fetcher,
		Stops:        dynamoStops{client: ddb, table: table, now: time.Now},
		OutputPrefix: prefix,
		ToolVersion:  Version,
		Log:          log,
	}
	if ttl > 0 {
		g.Cache = cache.NewDynamoDB(ddb, table, time.Duration(ttl)*time.Second, nil)
	}
	return g, nil
}

// NewSummariser wires the summary function: BUCKET.
func NewSummariser(getenv Getenv, cfg aws.Config, log *slog.Logger) (*pipeline.Summariser, error) {
	e := env{get: getenv}
	bucket := e.required(pipeline.EnvBucket)
	if err := e.err(); err != nil {
		return nil, err
	}
	return &pipeline.Summariser{
		Store:  store.NewS3(newS3(cfg, getenv), bucket, ""),
		Bucket: bucket,
		Log:    log,
	}, nil
}

// NewTrigger wires the S3 upload trigger: STATE_MACHINE_ARN.
func NewTrigger(getenv Getenv, cfg aws.Config, log *slog.Logger) (*pipeline.Trigger, error) {
	e := env{get: getenv}
	arn := e.required(pipeline.EnvStateMachineARN)
	if err := e.err(); err != nil {
		return nil, err
	}
	return &pipeline.Trigger{
		Starter:         sfnStarter{sfn.NewFromConfig(cfg)},
		StateMachineARN: arn,
		Log:             log,
	}, nil
}

// newS3 uses path-style addressing whenever the endpoint is overridden:
// local stand-ins such as moto have no DNS for bucket.host names.
func newS3(cfg aws.Config, getenv Getenv) *s3.Client {
	pathStyle := cfg.BaseEndpoint != nil || getenv("AWS_ENDPOINT_URL_S3") != ""
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle })
}

// env reads variables and collects every problem, so a misconfigured
// function reports all of them at once.
type env struct {
	get      Getenv
	problems []string
}

func (e *env) value(name string) string { return strings.TrimSpace(e.get(name)) }

func (e *env) required(name string) string {
	v := e.value(name)
	if v == "" {
		e.problems = append(e.problems, name+" is not set")
	}
	return v
}

func (e *env) optional(name, def string) string {
	if v := e.value(name); v != "" {
		return v
	}
	return def
}

func (e *env) integer(name string, def, lo, hi int) int {
	v := e.value(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		e.problems = append(e.problems, fmt.Sprintf("%s=%q is not a whole number from %d to %d", name, v, lo, hi))
		return def
	}
	return n
}

func (e *env) boolean(name string, def bool) bool {
	v := e.value(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.problems = append(e.problems, fmt.Sprintf("%s=%q is not true or false", name, v))
		return def
	}
	return b
}

func (e *env) list(name string) []string {
	var out []string
	for _, p := range strings.Split(e.value(name), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (e *env) err() error {
	if len(e.problems) == 0 {
		return nil
	}
	return &pipeline.ConfigError{Msg: "configuration: " + strings.Join(e.problems, "; ")}
}
