// Package pipeline is the serverless run of cja-sdr, as plain Go: the planner
// (input -> manifest -> Map items), the generator (one data view -> SDR files
// and a result record), the summary (result records -> summary files) and the
// S3 upload trigger. Each is a struct over small interfaces (store.Store,
// cja.Fetcher, cache.Cache, Starter) with one Handle method that Lambda calls;
// internal/lambdaio wires them to AWS and functions/<name>/main.go starts them.
//
// Nothing travels through the state machine's state but run ids and indexes:
// the manifest, the result records and the summary live in the bucket under
// runs/<runId>/, so a run of 10,000 data views keeps every payload small.
package pipeline

// Environment variables the functions read. template.yaml sets them; the
// template-wiring test checks that the names there and here agree.
const (
	// EnvBucket is the pipeline bucket (requests, runs, SDRs).
	EnvBucket = "BUCKET"
	// EnvTable is the DynamoDB table caching validation results.
	EnvTable = "TABLE"
	// EnvSecretID names the Secrets Manager secret with the Adobe credentials.
	EnvSecretID = "SECRET_ID"
	// EnvStateMachineARN is the state machine the trigger starts.
	EnvStateMachineARN = "STATE_MACHINE_ARN"
	// EnvCacheTTLSeconds is how long cached validation results live (0: no cache).
	EnvCacheTTLSeconds = "CACHE_TTL_SECONDS"
	// EnvOutputPrefix is the key prefix of SDR files ("sdr/").
	EnvOutputPrefix = "OUTPUT_PREFIX"
	// EnvRateLimit is the Adobe requests per 6 s shared by all workers.
	EnvRateLimit = "RATE_LIMIT"
	// EnvMaxWorkers is the template's Workers: the default and the upper
	// bound of a run's workers.
	EnvMaxWorkers = "MAX_WORKERS"
	// EnvContinueOnError is the default of a run's continueOnError.
	EnvContinueOnError = "CONTINUE_ON_ERROR"
	// EnvFormats is the default output formats, comma-separated.
	EnvFormats = "FORMATS"
	// EnvCJAAPIURL and EnvCJAIMSURL override the Adobe base URLs. The
	// template never sets them; tests point them at the sample organisation.
	EnvCJAAPIURL = "CJA_API_URL"
	EnvCJAIMSURL = "CJA_IMS_URL"
)
