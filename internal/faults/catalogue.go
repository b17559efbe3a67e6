// Package faults is cja-sdr's fault and bad-input suite: its tests drive the
// command, the generator engine and the pipeline's entry points through
// throttling, server and network failures, broken answers, bad credentials,
// failing storage, interruptions and hostile input, and hold one invariant in
// every scenario: each requested data view appears exactly once in the
// summary with a status, no half-written file remains, and no secret or
// token is written anywhere.
//
// This file is the catalogue of those scenarios with what the user sees in
// each. Every entry is run by exactly one test case, and the README's
// Reliability section is rendered from it
// (go test ./internal/faults -run TestReliabilityTableUpToDate -update).
// The entries whose key starts with StateMachinePrefix run through the
// pipeline's state machine, in ./infra's end-to-end tests; the rest run here.
package faults

import (
	"fmt"
	"strings"
)

// Kind groups the scenarios in the table.
type Kind string

// The kinds of scenario, in table order.
const (
	Fault    Kind = "Fault"
	BadInput Kind = "Bad input"
	Security Kind = "Security"
)

// StateMachinePrefix starts the key of every scenario run through the state
// machine by ./infra's end-to-end tests (infra/faults_e2e_test.go), each
// test naming its key in a call sfnScenario(t, "<key>").
const StateMachinePrefix = "sfn-"

// Scenario is one row of the reliability table.
type Scenario struct {
	Key  string // the test case's name
	Kind Kind
	Area string // what fails or what is bad
	What string // the scenario
	Sees string // what the user sees
}

// ThroughStateMachine reports whether ./infra runs the scenario.
func (s Scenario) ThroughStateMachine() bool { return strings.HasPrefix(s.Key, StateMachinePrefix) }

// Lookup returns the scenario with key.
func Lookup(key string) (Scenario, bool) {
	for _, s := range Scenarios {
		if s.Key == key {
			return s, true
		}
	}
	return Scenario{}, false
}

// Count returns how many scenarios are of kind k.
func Count(k Kind) int {
	n := 0
	for _, s := range Scenarios {
		if s.Kind == k {
			n++
		}
	}
	return n
}

// Markdown renders the reliability section: the counts, then one table per
// kind.
func Markdown() string {
	var b strings.Builder
	b.WriteString("<!-- Generated from internal/faults/catalogue.go by\n")
	b.WriteString("     go test ./internal/faults -run TestReliabilityTableUpToDate -update\n")
	b.WriteString("     Do not edit by hand. -->\n")
	b.WriteString("## Reliability\n\n")
	sfn := 0
	for _, s := range Scenarios {
		if s.ThroughStateMachine() {
			sfn++
		}
	}
	fmt.Fprintf(&b, "The fault suite (`go test ./internal/faults`, and `go test ./infra` for the %d scenarios of area *State machine*, all part of `make test`) runs **%d fault scenarios**, **%d bad inputs** and **%d security checks**. ",
		sfn, Count(Fault), Count(BadInput), Count(Security))
	b.WriteString("In every one of them it also checks that each requested data view appears exactly once in the summary with a status, ")
	b.WriteString("that every failure says which data view, what went wrong and what to do, that no half-written or temporary file is left, ")
	b.WriteString("that nothing is written outside the output directory, and that neither the client secret nor an access token appears in any output, log or file.\n")
	b.WriteString("\nExit codes: 0 success (also with `--continue-on-error` when some data views failed), 1 failure or bad arguments, 130 interrupted.\n")
	for _, k := range []Kind{Fault, BadInput, Security} {
		fmt.Fprintf(&b, "\n### %s scenarios (%d)\n\n", k, Count(k))
		b.WriteString("| # | Area | Scenario | What the user sees |\n|---|---|---|---|\n")
		n := 0
		for _, s := range Scenarios {
			if s.Kind != k {
				continue
			}
			n++
			fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", n, cell(s.Area), cell(s.What), cell(s.Sees))
		}
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// Scenarios is the catalogue, in table order.
var Scenarios = []Scenario{
	// Throttling.
	{"429-burst", Fault, "CJA API", "429 storm without Retry-After on metrics and dimensions", "Retries with exponential backoff and full jitter (WARNING `cja: retrying` in the log); every SDR is written; exit 0"},
	{"429-retry-after", Fault, "CJA API", "429s with `Retry-After: 2`", "Waits exactly what the server asked, then succeeds; exit 0"},
	{"429-absurd-retry-after", Fault, "CJA API", "429 with `Retry-After: 86400`", "Waits at most 60 s (capped; `wait=1m0s` in the log), then succeeds"},
	{"429-retry-after-date", Fault, "CJA API", "429 with a Retry-After date a year ahead", "Waits at most 60 s (capped), then succeeds"},
	{"429-storm-exhausts-retries", Fault, "CJA API", "One data view throttled on every request, `--continue-on-error`", "That data view FAILED: `get … of dv_…: HTTP 429: Too many requests (gave up after 6 attempts) (lower --workers or the rate limit)`; the others succeed; exit 0"},
	{"429-storm-stop-on-error", Fault, "CJA API", "Every request throttled, default stop-on-error", "First data view FAILED with the 429 message, the rest NOT STARTED with `use --continue-on-error to process every data view`; exit 1"},
	// Server errors.
	{"burst-500", Fault, "CJA API", "Burst of 500s", "Retried; every SDR written; exit 0"},
	{"burst-502", Fault, "CJA API", "Burst of 502s (gateway `backend timeout` body)", "Retried; every SDR written; exit 0"},
	{"burst-503", Fault, "CJA API", "Burst of 503s", "Retried; every SDR written; exit 0"},
	{"burst-504", Fault, "CJA API", "Burst of 504s", "Retried; every SDR written; exit 0"},
	{"persistent-500", Fault, "CJA API", "One data view always answers 500", "That data view FAILED: `HTTP 500: … (gave up after 6 attempts) (retry later)`; the others succeed"},
	{"persistent-502", Fault, "CJA API", "One data view always answers 502", "That data view FAILED: `HTTP 502: backend timeout (gave up after 6 attempts) (retry later)`"},
	{"persistent-503", Fault, "CJA API", "One data view always answers 503 `{\"statusCode\":503,\"message\":\"backend timeout\"}`", "That data view FAILED: `HTTP 503: backend timeout (gave up after 6 attempts) (retry later)`"},
	{"persistent-504", Fault, "CJA API", "One data view always answers 504", "That data view FAILED: `HTTP 504: backend timeout (gave up after 6 attempts) (retry later)`"},
	// Network.
	{"reset-burst", Fault, "Network", "Connection resets on the first requests", "Retried (the reset is in the log); every SDR written"},
	{"reset-persistent", Fault, "Network", "Every connection for one data view is reset", "That data view FAILED: `cannot reach …: connection reset by peer (gave up after 6 attempts) (check the network connection and the API URL)`"},
	{"reset-socket", Fault, "Network", "Resets over real sockets (keep-alive connections)", "Same as above: FAILED with `cannot reach …`, the others succeed"},
	{"hang-once", Fault, "Network", "A response that hangs past the client time-out, once", "The attempt is abandoned at the time-out (`no answer within …`) and retried; every SDR written"},
	{"hang-always", Fault, "Network", "Every response for one data view hangs", "That data view FAILED: `no answer within … (gave up after N attempts) (check the network connection and the API URL)`; the run does not hang"},
	// Broken answers.
	{"not-json", Fault, "CJA API", "200 with an HTML page instead of JSON", "That data view FAILED: `get metrics of dv_…: HTTP 200: answer is not a JSON object (… report it if it persists)`; never an empty SDR"},
	{"truncated-json", Fault, "CJA API", "200 with truncated JSON", "That data view FAILED: `answer is not a JSON object`"},
	{"error-in-200", Fault, "CJA API", "200 whose body is an error object (components)", "That data view FAILED: `answer is an error object: An unexpected error occurred`; never an empty list"},
	{"error-in-200-dataview", Fault, "CJA API", "200 whose body is an error object (data view)", "That data view FAILED: `answer is not a data view (no id): An unexpected error occurred`"},
	{"error-in-200-list", Fault, "CJA API", "`--all` and the listing answers 200 with an error object", "`ERROR - Could not list data views: … answer is an error object …`; nothing processed; exit 1"},
	{"endless-pages", Fault, "CJA API", "Pagination that never reports its last page", "Stops at the page cap: FAILED `… returned more than 1000 pages without a last page`; the others succeed"},
	// Tokens and access.
	{"token-expires-mid-run", Fault, "Auth", "The access token expires in the middle of a batch", "One token refresh (INFO `token refused, refreshing it`), no failure; exit 0"},
	{"token-refused", Fault, "Auth", "The gateway refuses every token (`401013 Oauth token is not valid`)", "One refresh per request, then FAILED: `CJA initialization failed: … HTTP 401: Oauth token is not valid (check the client ID, client secret and org ID, …)`; exit 1"},
	{"token-invalid-cja-body", Fault, "Auth", "401 with the CJA body `invalid_token`", "One refresh, then FAILED: `CJA initialization failed: get … of dv_…: HTTP 401: The access token is invalid or expired (gave up after 2 attempts) (check …)`; exit 1"},
	{"api-key-invalid", Fault, "Auth", "403 `403003 Api Key is invalid`", "FAILED: `CJA initialization failed: get … of dv_…: HTTP 403: Api Key is invalid (check the client ID: the API gateway rejected it as x-api-key)`; exit 1"},
	{"insufficient-access", Fault, "Auth", "403 `insufficient_access` on one data view", "That data view FAILED: `Data view validation failed: … (ask an admin to add the data view to your product profile)`"},
	{"not-found-and-forbidden", Fault, "CJA API", "A data view that does not exist and one the credentials may not see", "FAILED: `Data view validation failed: … was not found (check the ID with --list-dataviews)` / `… (ask an admin …)`"},
	{"error-message-injection", Fault, "CJA API", "An error message with a newline, a forged summary line and terminal escape sequences", "The reason on one line, escape sequences removed, in the summary, the console and the log"},
	{"empty-dataview", Fault, "CJA API", "A data view with no metrics and no dimensions", "FAILED: `No metrics or dimensions found - data view may be empty or inaccessible (…)`; no empty SDR"},
	// IMS.
	{"ims-unreachable", Fault, "IMS", "IMS unreachable (connection refused)", "`ERROR - CJA initialization failed: get IMS token: cannot reach IMS at … (gave up after 6 attempts) (check the network connection and the IMS URL)`; no data view started, no file; exit 1"},
	{"ims-wrong-secret", Fault, "IMS", "Wrong client secret", "`ERROR - CJA initialization failed: get IMS token: HTTP 401: IMS rejected the credentials (invalid_client: invalid client_id or client_secret parameter) (check the client ID, client secret, org ID and scopes of the OAuth Server-to-Server credential in the Adobe Developer Console)`; one IMS request, no retry; no file; exit 1"},
	{"ims-oauth-invalid-client", Fault, "IMS", "IMS 401 `{\"error\":\"invalid_client\"}`", "`CJA initialization failed: get IMS token: HTTP 401: IMS rejected the credentials (invalid_client: …) (check …)`; exit 1, no files"},
	{"ims-oauth-invalid-scope", Fault, "IMS", "IMS 400 `{\"error\":\"invalid_scope\"}`", "`CJA initialization failed: get IMS token: HTTP 400: IMS rejected the credentials (invalid_scope: invalid scope 'cja_admin') (check … scopes …)`; exit 1"},
	{"ims-gateway-401013", Fault, "IMS", "Token endpoint answers the gateway's 401 `401013`", "`CJA initialization failed: get IMS token: HTTP 401: IMS rejected the credentials (401013: Oauth token is not valid) (check …)`; exit 1, no files"},
	{"ims-gateway-403003", Fault, "IMS", "Token endpoint answers the gateway's 403 `403003`", "`CJA initialization failed: get IMS token: HTTP 403: IMS rejected the credentials (403003: Api Key is invalid) (check …)`; exit 1, no files"},
	{"ims-gateway-429050", Fault, "IMS", "Token endpoint throttled for good (`429050`)", "Retried, then `CJA initialization failed: get IMS token: HTTP 429: Too many requests (gave up after 6 attempts) (lower --workers or the rate limit)`; exit 1"},
	{"ims-gateway-503", Fault, "IMS", "Token endpoint answers 503 `backend timeout` for good", "Retried, then `CJA initialization failed: get IMS token: HTTP 503: backend timeout (gave up after 6 attempts) (retry later)`; exit 1"},
	{"ims-cja-invalid-token", Fault, "IMS", "Token endpoint answers 401 with the CJA body `invalid_token`", "`CJA initialization failed: get IMS token: HTTP 401: IMS rejected the credentials (invalid_token: The access token is invalid or expired) (check …)`; exit 1"},
	{"ims-not-json", Fault, "IMS", "Token endpoint answers 200 with HTML", "`CJA initialization failed: get IMS token: HTTP 200: IMS answer is not JSON (… report it if it persists)`; exit 1"},
	{"ims-burst", Fault, "IMS", "Two 503s from IMS, then tokens", "Retried; every SDR written; exit 0"},
	// Local files.
	{"output-dir-under-file", Fault, "Output", "`--output-dir` below a regular file", "`ERROR - cannot write to output directory …: not a directory — choose another --output-dir`; nothing started; exit 1"},
	{"output-dir-is-file", Fault, "Output", "`--output-dir` is a regular file", "`ERROR - cannot write to output directory …` with the same advice; exit 1"},
	{"logs-dir-unwritable", Fault, "Output", "`logs` cannot be created in the working directory", "`ERROR: cannot create the log directory … (run from a writable directory)`; exit 1"},
	{"cache-dir-unusable", Fault, "Cache", "`--enable-cache` with an unusable cache directory", "`WARNING - Validation cache unusable, running without it: … (set CJA_CACHE_DIR to a writable directory)`; every SDR written; exit 0 (it used to stop the run)"},
	{"cache-file-corrupt", Fault, "Cache", "A corrupt validation cache file", "WARNING `… unreadable or from another version; starting with an empty cache`; every SDR written"},
	// Stopping.
	{"stop-at-first-failure", Fault, "Run control", "A failure without `--continue-on-error`", "The failed data view, then every other one NOT STARTED with `use --continue-on-error to process every data view`; exit 1"},
	{"ctrl-c-batch", Fault, "Run control", "Ctrl-C during a batch", "In-flight data views CANCELLED and their partial files removed, the rest NOT STARTED, each saying the run was interrupted and to run it again; the summary still prints; exit 130"},
	{"ctrl-c-at-startup", Fault, "Run control", "Ctrl-C while the IMS token is being fetched", "`ERROR - Interrupted before any data view started; nothing was processed`; exit 130 (it used to report an initialization failure, exit 1)"},
	{"ctrl-c-while-listing", Fault, "Run control", "Ctrl-C while `--all` lists the data views", "`ERROR - Interrupted before any data view started; nothing was processed`; exit 130"},
	{"ctrl-c-single", Fault, "Run control", "Ctrl-C while one data view is fetched", "`FAILED: cancelled: interrupted while in flight; its partial files were removed (run it again)`; no file; exit 130"},
	// Storage and cache (the engine shared by the command and the generator Lambda).
	{"s3-bucket-missing", Fault, "S3", "The SDR bucket does not exist", "Each data view FAILED: `write SDR: … upload s3://bucket/…: … NoSuchBucket …` with what to do; nothing stored"},
	{"s3-put-fails-mid-document", Fault, "S3", "An upload fails after the same SDR's workbook was stored", "That data view FAILED naming the object and the S3 error; its workbook is deleted again, so no partial SDR stays in the bucket; the others are complete"},
	{"dynamodb-unavailable", Fault, "DynamoDB", "The validation cache table is unreachable (generator Lambda handler)", "One WARNING per invocation, `validation cache unavailable; checking without it` naming the table and the cause; every SDR written"},
	{"dynamodb-table-missing", Fault, "DynamoDB", "The validation cache table does not exist", "One WARNING (`ResourceNotFoundException`); every SDR written"},
	{"disk-full", Fault, "Output", "The disk fills up while an SDR's CSV files are written", "That data view FAILED: `… no space left on device` with what to do; its workbook and temporary files are removed"},
	{"cancel-while-writing", Fault, "Run control", "The run is cancelled while an SDR is half stored", "That data view CANCELLED with none of its files left (no temporary file either); the queued one NOT STARTED"},
	{"chaos", Fault, "CJA API", "Random 429s, 503s, resets and HTML pages on a fifth of all requests over 40 data views", "Every data view SUCCESS or FAILED with a reason, each exactly once; files only for the successful ones"},
	// The pipeline's generator Lambda.
	{"lambda-deadline", Fault, "Pipeline", "The generator Lambda meets a response that hangs until its deadline", "A retryable `DeadlineError` naming the data view, returned before the Lambda time-out; no SDR object; the result record says in flight until the state machine's retry succeeds and replaces it"},
	// The whole pipeline: infra/statemachine.asl.json run by
	// aws-local-stepfunctions over the real handlers, moto and the sample
	// organisation (infra/faults_e2e_test.go).
	{"sfn-429-storm-retry-after", Fault, "State machine", "One data view's metrics answer 429 with `Retry-After: 1` eight times, more than the client's 6 attempts", "The client waits the 1 s asked before each retry, gives up with a `TransientError`, the state machine retries the data view and it succeeds; execution SUCCEEDED, every SDR written"},
	{"sfn-5xx-bursts", Fault, "State machine", "Bursts of eight 500s, 502s, 503s and 504s on four data views, longer than the client's retries", "Each data view retried once by the state machine, then SUCCESS; execution SUCCEEDED"},
	{"sfn-persistent-503", Fault, "State machine", "A data view that always answers 503, `continueOnError: true`", "Three attempts, then a FAILED record: `generator: dv_…: get data view dv_…: HTTP 503: backend timeout (gave up after 6 attempts) (retry later) (gave up after retries)`, marked retryable; the others succeed; execution SUCCEEDED"},
	{"sfn-generator-crash", Fault, "State machine", "The generator Lambda dies on one data view (`Runtime.ExitError`, an error type nothing retries)", "Not retried; the Catch records it: `generator: dv_…: the generator failed unexpectedly (Runtime.ExitError: …); run it again, and if it keeps failing, check the generator's log for this data view` (it used to record only the runtime's message)"},
	{"sfn-s3-put-refused", Fault, "State machine", "S3 answers 503 SlowDown to one data view's JSON SDR after its workbook was stored", "Retried by the SDK and the state machine (it used to be recorded as a permanent failure at once), the workbook deleted each time; then FAILED: `… write SDR: write json: … api error SlowDown … (check that the output location exists, …, then run it again) (gave up after retries)`; no partial SDR in the bucket"},
	{"sfn-dynamodb-unavailable", Fault, "State machine", "The DynamoDB cache table is deleted before the run", "One WARNING per generator, `validation cache unavailable; checking without it` with `ResourceNotFoundException`; every SDR written; execution SUCCEEDED"},
	{"sfn-lambda-deadline", Fault, "State machine", "One data view's metrics hang past the generator's Lambda deadline on every attempt", "`DeadlineError` before the time-out, retried twice, then FAILED: `generator: stopped … before the Lambda deadline while generating dv_… (gave up after retries: run it again with fewer workers, so each gets a larger share of the rate limit, or document very large data views with the cja-sdr command)`"},
	{"sfn-invalid-credentials", Fault, "State machine", "The Secrets Manager secret holds a wrong client secret, `continueOnError: true`", "One IMS request per data view, no retry; every data view FAILED: `CJA initialization failed: get IMS token: HTTP 401: IMS rejected the credentials (invalid_client: …) (check the client ID, client secret, …)`; nothing under `sdr/`"},
	{"sfn-stop-on-error-12-at-3", Fault, "State machine", "12 data views at `workers: 3` without continueOnError; the fifth does not exist", "Execution FAILED (`RunFailed`, pointing at summary.txt) after the summary, which lists all 12 once: the 404 FAILED with `Data view validation failed: …`, the others SUCCESS, CANCELLED (`in flight when the run stopped: run it again if its SDR is missing`) or NOT_STARTED (`set continueOnError to process every data view`)"},
	// Data view IDs on the command line.
	{"id-no-prefix", BadInput, "IDs", "IDs without `dv_` among valid ones", "The reference message listing every bad ID (`ERROR: Invalid data view ID format: invalid_id, test123` / `Data view IDs should start with 'dv_'` / example); nothing processed; exit 1"},
	{"id-wrong-case", BadInput, "IDs", "`DV_…` (upper-case prefix)", "The invalid-ID message; exit 1"},
	{"id-prefix-only", BadInput, "IDs", "`dv_` alone", "The invalid-ID message; exit 1"},
	{"id-empty-string", BadInput, "IDs", "An empty string as the only ID (`cja-sdr \"\"`, an empty `$(cat …)`)", "The usage line and `error: the following arguments are required: DATA_VIEW_ID`; exit 1"},
	{"id-whitespace-only", BadInput, "IDs", "Only blanks, tabs and newlines", "Same usage error; exit 1"},
	{"id-surrounding-whitespace", BadInput, "IDs", "An ID with spaces and CRLF around it (pasted, or from a Windows file)", "Trimmed and processed normally"},
	{"id-inner-space", BadInput, "IDs", "A space inside an ID", "The invalid-ID message; exit 1"},
	{"id-path-traversal", BadInput, "IDs", "`dv_../../../etc/passwd`", "The invalid-ID message; never reaches a URL or a file name; exit 1"},
	{"id-url-characters", BadInput, "IDs", "`?`, `#`, `%`, `&` in IDs", "The invalid-ID message; exit 1"},
	{"id-non-ascii", BadInput, "IDs", "Accents, full-width digits, a right-to-left override", "The invalid-ID message; exit 1"},
	{"id-control-characters", BadInput, "IDs", "NUL, ESC sequences and BEL in IDs", "The invalid-ID message with the IDs escaped (no escape sequence reaches the terminal); exit 1"},
	{"id-very-long", BadInput, "IDs", "A well-formed 5,000-character ID", "Processed: FAILED `Data view validation failed: … was not found (check the ID with --list-dataviews)`; the log file name is shortened; exit 1"},
	{"id-looks-like-flag", BadInput, "IDs", "`-dv_…`", "Usage line and `unrecognized arguments: -dv_…`; exit 1"},
	{"ids-duplicated", BadInput, "IDs", "The same ID several times, with and without blanks", "Processed once, listed once in the summary"},
	{"ids-mixed-valid-invalid", BadInput, "IDs", "Valid and invalid IDs mixed", "Every invalid one listed; nothing processed (no API call, no file); exit 1"},
	{"ids-10000", BadInput, "IDs", "10,001 IDs in one batch (10,000 that do not exist)", "All processed, never more than `--workers` at once; the summary lists each exactly once (`Total data views: 10001`)"},
	{"ids-1000-invalid", BadInput, "IDs", "1,000 invalid IDs", "All of them listed in the invalid-ID message; exit 1"},
	// dataviews.txt.
	{"list-non-utf8", BadInput, "dataviews.txt", "Non-UTF-8 bytes on a line", "That line reported (`line 2: \"…\" is not UTF-8 text (save the file as UTF-8)`); the other IDs kept"},
	{"list-crlf", BadInput, "dataviews.txt", "CRLF line endings", "Read as usual"},
	{"list-50mb", BadInput, "dataviews.txt", "A 50 MB file", "Refused after reading 1 MiB: `data view list too large: over the 1 MiB limit; split it into smaller lists`"},
	{"list-utf16", BadInput, "dataviews.txt", "A UTF-16 file (Windows Notepad \"Unicode\")", "`data view list is UTF-16 text: save it as UTF-8`"},
	{"list-utf8-bom", BadInput, "dataviews.txt", "A UTF-8 byte order mark", "Ignored; read as usual"},
	{"list-binary", BadInput, "dataviews.txt", "A binary file (NUL bytes, escape sequences)", "Each line reported as not a data view ID, quoted and escaped"},
	{"list-comments-blanks-duplicates", BadInput, "dataviews.txt", "Comments, blank lines, indentation and repeated IDs", "Comments and blanks skipped, duplicates dropped, order kept"},
	{"list-empty", BadInput, "dataviews.txt", "An empty file", "No IDs and no error (an empty request is refused where the IDs are used: see the execution input rows)"},
	{"list-long-line", BadInput, "dataviews.txt", "One 900 KB line", "Reported with the line cut to 60 characters"},
	{"list-invalid-lines", BadInput, "dataviews.txt", "Invalid lines, several IDs on one line", "Each reported with its line number and `one ID per line`"},
	{"upload-50mb", BadInput, "dataviews.txt", "A 50 MB list uploaded to the pipeline bucket", "The planner fails the execution at once (InputError, not retried) naming the object and `split it into smaller lists`"},
	// Execution input.
	{"exec-truncated-json", BadInput, "Execution input", "Truncated JSON", "InputError (not retried): `planner: malformed input: … (expected {\"dataViewIds\": [...]}, …)`; nothing written"},
	{"exec-wrong-type", BadInput, "Execution input", "`dataViewIds` as a string", "InputError naming the field and the expected shape"},
	{"exec-unknown-field", BadInput, "Execution input", "A misspelt field (`dataViewId`)", "InputError `unknown field \"dataViewId\"` instead of an empty run"},
	{"exec-empty", BadInput, "Execution input", "An empty input", "InputError with the three accepted shapes"},
	{"exec-null-and-empty-object", BadInput, "Execution input", "`null` and `{}`", "InputError `nothing requested`"},
	{"exec-not-an-object", BadInput, "Execution input", "A bare JSON array", "InputError `malformed input`"},
	{"exec-two-sources", BadInput, "Execution input", "`dataViewIds` and `all` together", "InputError `give only one of …`"},
	{"exec-bad-options", BadInput, "Execution input", "`workers: 0`", "InputError `\"workers\" must be at least 1`"},
	{"exec-bad-format", BadInput, "Execution input", "An unknown output format", "InputError naming it and the known formats"},
	{"exec-only-invalid-ids", BadInput, "Execution input", "Only invalid or empty IDs", "InputError `no valid data view ids requested (invalid: …)`"},
	{"exec-too-many-ids", BadInput, "Execution input", "10,001 IDs", "InputError `… at most 10000 (split the list)`"},
	{"sfn-bad-execution-input", BadInput, "State machine", "Executions started with a double-encoded cut-off request (a JSON string), `dataViewId` (unknown field), `dataViewIds` as a string, an empty `dataViewIds`, and `dataViewIds` with `all`", "Execution FAILED at Plan with `InputError` and the planner's reason (`malformed input: …`, `unknown field \"dataViewId\"`, `nothing requested`, `give only one of …`), not retried; nothing written to the bucket"},
	// Data view and component content served by the API.
	{"content-formulas", BadInput, "Content", "Component names and descriptions that are formulas (`=HYPERLINK(…)`, `+SUM`, `-2+3`, `@SUM`, tab/CR first)", "Workbook cells hold them as text (no formula in any sheet); CSV cells get a leading `'`; JSON keeps them verbatim"},
	{"content-markup", BadInput, "Content", "Names with `<script>`, `<img onerror>`, `|` and line breaks", "HTML escapes them; Markdown tables keep their shape"},
	{"content-control-characters", BadInput, "Content", "NUL, BEL, ESC sequences, DEL, U+FFFE/U+FFFF in names and descriptions", "The workbook is valid XML (those characters dropped, the rest kept); JSON keeps them escaped; CSV, HTML and Markdown carry none"},
	{"content-emoji-rtl", BadInput, "Content", "Emoji, ZWJ sequences, Arabic and Hebrew, bidi overrides, combining accents", "Kept exactly in every format; the file name keeps the letters and drops emoji and direction controls"},
	{"content-100k-characters", BadInput, "Content", "100,000-character names and descriptions (also emoji)", "Workbook cells cut to Excel's 32,767 UTF-16 units with `…[truncated N chars]`; JSON keeps the full text"},
	{"content-dataview-name-traversal", BadInput, "Content", "Data view names `../../../../tmp/escaped`, `..`, `/etc/…`, `C:\\…`, NUL", "Every file stays in the output directory under a sanitised name; the Metadata sheet shows the real name"},
	{"content-dataview-id-traversal", BadInput, "Content", "The API answers with a data view id containing `../`", "The file name is sanitised and stays in the output directory"},
	{"content-long-ids-shared-prefix", BadInput, "Content", "Two 104-character IDs that differ only in their last character, same data view name", "Two SDRs under different names (a long ID is cut and given a hash of the whole), each with its own data view"},
	{"content-dataview-name-control", BadInput, "Content", "A data view name with a newline that forges a summary line, and terminal escape sequences", "The summary, console and log show the name on one line with control characters replaced; no forged line, no escape sequence"},
	{"content-long-dataview-name", BadInput, "Content", "A 14,000-character data view name", "File names stay under 255 bytes"},
	{"content-50000-components", BadInput, "Content", "A data view with 50,000 components (20,000 metrics, 30,000 dimensions, 50 pages)", "SUCCESS; the workbook, CSV and JSON each hold exactly 20,000 + 30,000 rows; `Metrics: 20000, Dimensions: 30000`"},
	{"content-nested-10-levels", BadInput, "Content", "Objects and arrays nested 10 levels deep", "Cells hold indented JSON with every level, which parses back to the same value; JSON keeps the structure"},
	{"content-nulls-everywhere", BadInput, "Content", "null in every field of the data view and of components", "SUCCESS: `Unnamed` in the file name, empty cells, and CRITICAL rows in Data Quality for missing id, name or type"},
	{"content-null-items", BadInput, "Content", "Component lists holding `null`, numbers and strings", "FAILED: `get metrics of dv_…: HTTP 200: content[0] is not an object (… report it if it persists)`"},
	{"content-non-string-values", BadInput, "Content", "Numbers, booleans, objects and arrays where strings belong", "SUCCESS: shown as text or JSON"},
	{"content-too-many-columns", BadInput, "Content", "A component with 17,000 fields (more columns than Excel's 16,384)", "FAILED at once: `write excel: sheet Metrics: … 17004 columns, more than a worksheet holds (16384); use --format json or csv for this data view` (it used to spend minutes sizing columns)"},
	{"content-wide-components", BadInput, "Content", "Components with 15,000 distinct fields in all", "SUCCESS in seconds: every field is a column"},
	// Secrets and paths.
	{"secret-echoed-by-ims", Security, "Secrets", "IMS echoes the client secret in its error, DEBUG logging on", "`CJA initialization failed: … client_secret [REDACTED] was not accepted …`; the secret is in no output or log"},
	{"token-echoed-by-api", Security, "Secrets", "The API echoes the bearer token in a 401 body, DEBUG logging on", "That data view FAILED with the token shown as `[REDACTED]`; the token is in no output, log or SDR"},
	{"debug-log-redacted", Security, "Secrets", "A full run at DEBUG with retries, every format and the cache, over real sockets", "Neither the secret nor any token in stdout, stderr, the log, the SDRs or the cache file"},
	{"config-unquoted-secret", Security, "Secrets", "myconfig.json with the secret unquoted (a JSON syntax error at the secret)", "`config file … is not valid JSON: line 2, column …` without quoting the offending text; exit 1"},
	{"config-secret-wrong-type", Security, "Secrets", "The secret given as a JSON array", "`secret must be a string, not an array`, never the value; exit 1"},
	{"s3-keys-under-prefix", Security, "Paths", "Data view names with `../`, absolute paths, backslashes and NUL, written to S3", "Every object key stays under the run's prefix"},
	{"suite-wide-scan", Security, "Secrets", "Every stdout, stderr, log, output file, cache file and S3 object the suite produced", "Searched for every client secret and access token used (tokens captured from requests and IMS answers, plus the simulator's deterministic ones): none found; no file outside the runs' output, log and cache directories"},
}
