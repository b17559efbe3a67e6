package faults

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
)

// Small fixtures keep the suite fast: 22, 30 and 80 components.
const (
	dvProd   = sampleorg.ProductionDataViewID
	dvFrance = "dv_6812f0e9d8c7b6a5f4e3d2c1"
	dvUnsafe = sampleorg.UnsafeNameDataViewID
	dvB2B    = "dv_6701a2b3c4d5e6f7a8b9c0d1"
	dvMobile = "dv_65f1c0d2a8b34e7f9c12ab01"
	dvNull   = sampleorg.NullOwnerDataViewID
)

var three = []string{dvProd, dvFrance, dvUnsafe}

// Gateway and service error bodies of CJA_API.md §4, byte for byte.
const (
	bodyThrottled   = `{"error_code":"429050","message":"Too many requests"}`
	bodyBadToken    = `{"error_code":"401013","message":"Oauth token is not valid"}`
	bodyBadAPIKey   = `{"error_code":"403003","message":"Api Key is invalid"}`
	bodyBackend     = `{"statusCode":503,"message":"backend timeout"}`
	bodyInvalidTok  = `{"errorCode":"invalid_token","errorDescription":"The access token is invalid or expired","errorId":"1c0e9a4e-0000-4000-8000-000000000401"}`
	bodyInsuffic    = `{"errorCode":"insufficient_access","errorDescription":"The user does not have access to this resource","errorId":"1c0e9a4e-0000-4000-8000-000000000403"}`
	bodyOAuthClient = `{"error":"invalid_client","error_description":"invalid client_id parameter"}`
	bodyOAuthScope  = `{"error":"invalid_scope","error_description":"invalid scope 'cja_admin'"}`
)

func status(code int, body string, header ...string) sampleorg.Fault {
	f := sampleorg.Fault{Status: code, Body: body}
	if len(header) > 0 {
		f.Header = http.Header{}
		for i := 0; i+1 < len(header); i += 2 {
			f.Header.Set(header[i], header[i+1])
		}
	}
	return f
}

// onCJA limits ff to the CJA API (not IMS); onDV to one data view's requests.
func onCJA(ff sampleorg.FaultFunc) sampleorg.FaultFunc { return sampleorg.OnPath("/data/", ff) }
func onDV(id string, ff sampleorg.FaultFunc) sampleorg.FaultFunc {
	return sampleorg.OnPath("/dataviews/"+id, ff)
}
func onIMS(ff sampleorg.FaultFunc) sampleorg.FaultFunc { return sampleorg.OnPath("/ims/token", ff) }

// onExact limits ff to requests for exactly path (OnPath matches substrings).
func onExact(path string, ff sampleorg.FaultFunc) sampleorg.FaultFunc {
	return func(r *http.Request, seq int64) *sampleorg.Fault {
		if r.URL.Path == path {
			return ff(r, seq)
		}
		return nil
	}
}

// faultCase is one fault scenario run through the command.
type faultCase struct {
	key string
	sim sampleorg.Options
	// prep adjusts the setup and the simulator's options before the run
	// (contexts to cancel, clocks to move).
	prep   func(t *testing.T, s *setup, o *sampleorg.Options)
	s      setup
	args   []string
	exit   int
	status map[string]report.Status // "*" for every data view not listed
	// says must all appear in stdout, stderr or the log file.
	says []string
	// reason must all appear in the data view's summary (or FAILED) line.
	reason map[string][]string
	check  func(t *testing.T, r *cliRun, o outcome)
}

func maxWait(t *testing.T, r *cliRun, limit time.Duration) {
	t.Helper()
	for _, w := range r.recordedWaits() {
		if w > limit {
			t.Errorf("waited %s, more than %s", w, limit)
		}
	}
}

func countWaits(r *cliRun, d time.Duration) int {
	n := 0
	for _, w := range r.recordedWaits() {
		if w == d {
			n++
		}
	}
	return n
}

// closedPort is a local address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

var (
	all3Success = map[string]report.Status{"*": report.Success}
	initFailed  = []string{"CJA initialization failed"}
)

// cliFaultCases are the API, auth, output and run-control faults, each
// through the command as a user runs it.
func cliFaultCases() []faultCase {
	return []faultCase{
		// --- throttling ---
		{
			key:    "429-burst",
			sim:    sampleorg.Options{Faults: sampleorg.Chain(sampleorg.OnPath("/metrics", sampleorg.FailFirst(3, sampleorg.FaultThrottled)), sampleorg.OnPath("/dimensions", sampleorg.FailFirst(3, sampleorg.FaultThrottled)))},
			args:   append([]string{"--batch"}, three...),
			status: all3Success,
			says:   []string{"cja: retrying", "Too many requests"},
			check: func(t *testing.T, r *cliRun, _ outcome) {
				if n := r.sim.Stats().Throttled; n != 6 {
					t.Errorf("%d 429s sent, want 6", n)
				}
				if n := len(r.recordedWaits()); n != 6 {
					t.Errorf("%d backoffs, want 6", n)
				}
				maxWait(t, r, cja.DefaultMaxBackoff)
			},
		},
		{
			key:    "429-retry-after",
			sim:    sampleorg.Options{Faults: onCJA(sampleorg.FailFirst(4, status(429, bodyThrottled, "Retry-After", "2")))},
			args:   append([]string{"--batch"}, three...),
			status: all3Success,
			check: func(t *testing.T, r *cliRun, _ outcome) {
				if n := countWaits(r, 2*time.Second); n != 4 {
					t.Errorf("waited Retry-After's 2 s %d times, want 4 (waits %v)", n, r.recordedWaits())
				}
			},
		},
		{
			key:    "429-absurd-retry-after",
			sim:    sampleorg.Options{Faults: onCJA(sampleorg.FailFirst(2, status(429, bodyThrottled, "Retry-After", "86400")))},
			args:   []string{dvProd},
			status: all3Success,
			says:   []string{"wait=1m0s"},
			check: func(t *testing.T, r *cliRun, _ outcome) {
				if n := countWaits(r, cja.DefaultMaxRetryAfter); n != 2 {
					t.Errorf("waits %v, want two capped at %s", r.recordedWaits(), cja.DefaultMaxRetryAfter)
				}
				maxWait(t, r, cja.DefaultMaxRetryAfter)
			},
		},
		{
			key:    "429-retry-after-date",
			sim:    sampleorg.Options{Faults: onCJA(sampleorg.FailFirst(1, status(429, bodyThrottled, "Retry-After", time.Now().AddDate(1, 0, 0).UTC().Format(http.TimeFormat))))},
			args:   []string{dvProd},
			status: all3Success,
			check: func(t *testing.T, r *cliRun, _ outcome) {
				if n := countWaits(r, cja.DefaultMaxRetryAfter); n != 1 {
					t.Errorf("waits %v, want one capped at %s", r.recordedWaits(), cja.DefaultMaxRetryAfter)
				}
			},
		},
		{
			key:    "429-storm-exhausts-retries",
			sim:    sampleorg.Options{Faults: onDV(dvFrance, sampleorg.Always(sampleorg.FaultThrottled))},
			args:   append([]string{"--continue-on-error"}, three...),
			status: map[string]report.Status{dvFrance: report.Failed, "*": report.Success},
			reason: map[string][]string{dvFrance: {dvFrance, "HTTP 429", "Too many requests", "gave up after 6 attempts", "lower --workers"}},
		},
		{
			key:    "429-storm-stop-on-error",
			sim:    sampleorg.Options{Faults: onCJA(sampleorg.Always(sampleorg.FaultThrottled))},
			args:   append([]string{"--workers", "1"}, three...),
			exit:   1,
			status: map[string]report.Status{dvProd: report.Failed, "*": report.Skipped},
			reason: map[string][]string{dvProd: {"HTTP 429"}, dvFrance: {"--continue-on-error"}},
		},
		// --- server errors ---
		burst(500), burst(502), burst(503), burst(504),
		persistent(500, ""), persistent(502, ""), persistent(503, bodyBackend), persistent(504, ""),
		// --- network ---
		{
			key:    "reset-burst",
			sim:    sampleorg.Options{Faults: onCJA(sampleorg.FailFirst(3, sampleorg.FaultReset))},
			args:   append([]string{"--batch"}, three...),
			status: all3Success,
			says:   []string{"connection reset"},
		},
		{
			key:    "reset-persistent",
			sim:    sampleorg.Options{Faults: onDV(dvFrance, sampleorg.Always(sampleorg.FaultReset))},
			args:   append([]string{"--continue-on-error"}, three...),
			status: map[string]report.Status{dvFrance: report.Failed, "*": report.Success},
			reason: map[string][]string{dvFrance: {dvFrance, "connection reset", "gave up after 6 attempts", "check the network connection"}},
		},
		{
			key:    "reset-socket",
			s:      setup{config: true},
			sim:    sampleorg.Options{Faults: onDV(dvFrance, sampleorg.Always(sampleorg.FaultReset))},
			args:   append([]string{"--continue-on-error"}, three...),
			status: map[string]report.Status{dvFrance: report.Failed, "*": report.Success},
			reason: map[string][]string{dvFrance: {dvFrance, "cannot reach", "check the network connection"}},
		},
		{
			key:    "hang-once",
			s:      setup{tweak: func(c *cja.Config) { c.RequestTimeout = 200 * time.Millisecond }},
			sim:    sampleorg.Options{Faults: sampleorg.OnPath("/metrics", sampleorg.FailFirst(1, sampleorg.FaultHang))},
			args:   append([]string{"--batch"}, three...),
			status: all3Success,
			says:   []string{"no answer within 200ms"},
		},
		{
			key:    "hang-always",
			s:      setup{tweak: func(c *cja.Config) { c.RequestTimeout = 100 * time.Millisecond; c.MaxRetries = 2 }},
			sim:    sampleorg.Options{Faults: onDV(dvFrance, sampleorg.Always(sampleorg.FaultHang))},
			args:   append([]string{"--continue-on-error"}, three...),
			status: map[string]report.Status{dvFrance: report.Failed, "*": report.Success},
			reason: map[string][]string{dvFrance: {dvFrance, "no answer within 100ms", "gave up after 3 attempts", "check the network connection"}},
		},
		// --- answers that are not what they claim ---
		{
			key:    "not-json",
			sim:    sampleorg.Options{Faults: sampleorg.OnPath(dvFrance+"/metrics", sampleorg.Always(sampleorg.FaultNotJSON))},
			args:   append([]string{"--continue-on-error"}, three...),
			status: map[string]report.Status{dvFrance: report.Failed, "*": report.Success},
			reason: map[string][]string{dvFrance: {"get metrics of " + dvFrance, "not a JSON object", "report it"}},
		},
		{
			key:    "truncated-json",
			sim:    sampleorg.Options{Faults: sampleorg.OnPath(dvFrance+"/dimensions", sampleorg.Always(status(200, `{"content":[{"id":"variables/a","name":"A`)))},
			args:   append([]string{"--continue-on-error"}, three...),
			status: map[string]report.Status{dvFrance: report.Failed, "*": report.Success},
			reason: map[string][]string{dvFrance: {"get dimensions of " + dvFrance, "not a JSON object"}},
		},
		{
			key:    "error-in-200",
			sim:    sampleorg.Options{Faults: sampleorg.OnPath(dvFrance+"/metrics", sampleorg.Always(sampleorg.FaultErrorIn200))},
			args:   append([]string{"--continue-on-error"}, three...),
			status: map[string]report.Status{dvFrance: report.Failed, "*": report.Success},
			reason: map[string][]string{dvFrance: {"get metrics of " + dvFrance, "error object", "An unexpected error occurred"}},
		},
		{
			key:    "error-in-200-dataview",
			sim:    sampleorg.Options{Faults: onExact("/data/dataviews/"+dvFrance, sampleorg.Always(sampleorg.FaultErrorIn200))},
			args:   append([]string{"--continue-on-error"}, three...),
			status: map[string]report.Status{dvFrance: report.Failed, "*": report.Success},
			reason: map[string][]string{dvFrance: {"get data view " + dvFrance, "not a data view", "An unexpected error occurred"}},
		},
		{
			key:  "error-in-200-list",
			sim:  sampleorg.Options{Faults: onExact("/data/dataviews", sampleorg.Always(sampleorg.FaultErrorIn200))},
			args: []string{"--all"},
			exit: 1,
			says: []string{"Could not list data views", "error object", "report it"},
		},
		{
			key: "endless-pages",
			sim: sampleorg.Options{Faults: sampleorg.OnPath(dvFrance+"/metrics", sampleorg.Always(status(200,
				`{"content":[{"id":"metrics/again","name":"Again","type":"int"}],"number":0,"totalPages":1000000,"firstPage":true,"lastPage":false}`)))},
			args:   append([]string{"--continue-on-error"}, three...),
			status: map[string]report.Status{dvFrance: report.Failed, "*": report.Success},
			reason: map[string][]string{dvFrance: {"get metrics of " + dvFrance, "more than 1000 pages without a last page"}},
			check: func(t *testing.T, r *cliRun, _ outcome) {
				if n := r.sim.Stats().Requests.Metrics; n > 1000+2 {
					t.Errorf("%d metrics requests: the page cap did not hold", n)
				}
			},
		},
		// --- tokens and credentials at the API ---
		{
			key: "token-expires-mid-run",
			prep: func(t *testing.T, s *setup, o *sampleorg.Options) {
				// The simulator's clock jumps two hours (past the 1 h token)
				// when the second data view starts: its first request meets an
				// expired token, the client refreshes once and carries on.
				var skew atomic.Int64
				var once sync.Once
				o.TokenTTL = time.Hour
				o.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
				o.Faults = onDV(dvFrance, func(*http.Request, int64) *sampleorg.Fault {
					once.Do(func() { skew.Store(int64(2 * time.Hour)) })
					return nil
				})
			},
			args:   []string{"--workers", "1", dvProd, dvFrance},
			status: all3Success,
			says:   []string{"token refused, refreshing it"},
			check: func(t *testing.T, r *cliRun, _ outcome) {
				if n := r.sim.Stats().TokensIssued; n != 2 {
					t.Errorf("%d tokens issued, want 2 (one refresh)", n)
				}
			},
		},
		{
			key:    "token-refused",
			sim:    sampleorg.Options{Faults: onCJA(sampleorg.Always(status(401, bodyBadToken)))},
			args:   []string{"--workers", "1", dvProd, dvFrance},
			exit:   1,
			status: map[string]report.Status{dvProd: report.Failed, dvFrance: report.Skipped},
			reason: map[string][]string{dvProd: {"CJA initialization failed", "HTTP 401", "Oauth token is not valid", "check the client ID, client secret and org ID"}},
			check: func(t *testing.T, r *cliRun, _ outcome) {
				// One token at start, then one refresh per request that met the
				// 401 (three concurrent requests at most), never a loop.
				if n := r.sim.Stats().TokensIssued; n < 2 || n > 4 {
					t.Errorf("%d tokens issued, want 2 to 4", n)
				}
			},
		},
		{
			key:    "token-invalid-cja-body",
			sim:    sampleorg.Options{Faults: onCJA(sampleorg.Always(status(401, bodyInvalidTok)))},
			args:   []string{dvProd},
			exit:   1,
			status: map[string]report.Status{dvProd: report.Failed},
			reason: map[string][]string{dvProd: {"CJA initialization failed", "The access token is invalid or expired", "check the client ID"}},
		},
		{
			key:    "api-key-invalid",
			sim:    sampleorg.Options{Faults: onCJA(sampleorg.Always(status(403, bodyBadAPIKey)))},
			args:   []string{dvProd},
			exit:   1,
			status: map[string]report.Status{dvProd: report.Failed},
			reason: map[string][]string{dvProd: {"CJA initialization failed: get ", dvProd, "HTTP 403", "Api Key is invalid", "check the client ID"}},
		},
		{
			key:    "insufficient-access",
			sim:    sampleorg.Options{Faults: onDV(dvFrance, sampleorg.Always(status(403, bodyInsuffic)))},
			args:   append([]string{"--continue-on-error"}, three...),
			status: map[string]report.Status{dvFrance: report.Failed, "*": report.Success},
			reason: map[string][]string{dvFrance: {"Data view validation failed", dvFrance, "does not have access", "ask an admin"}},
		},
		{
			key:    "not-found-and-forbidden",
			args:   []string{"--continue-on-error", dvProd, sampleorg.MissingDataViewID, sampleorg.ForbiddenDataViewID},
			status: map[string]report.Status{dvProd: report.Success, "*": report.Failed},
			reason: map[string][]string{
				sampleorg.MissingDataViewID:   {"Data view validation failed", "was not found", "--list-dataviews"},
				sampleorg.ForbiddenDataViewID: {"Data view validation failed", "does not have access", "ask an admin"},
			},
		},
		{
			key: "error-message-injection",
			sim: sampleorg.Options{Faults: onDV(dvFrance, sampleorg.Always(status(404,
				`{"errorCode":"resource_not_found","errorDescription":"Not here\n  ✓ dv_forged00000 Forged 0.1s\u001b[2J\u001b]0;pwned\u0007"}`)))},
			args:   append([]string{"--continue-on-error"}, three...),
			status: map[string]report.Status{dvFrance: report.Failed, "*": report.Success},
			reason: map[string][]string{dvFrance: {"Data view validation failed", "Not here", "--list-dataviews"}},
			check: func(t *testing.T, r *cliRun, _ outcome) {
				if strings.Contains(r.console()+r.logText(), "\x1b") {
					t.Errorf("an escape sequence from the API reached the console or the log")
				}
			},
		},
		{
			key:    "empty-dataview",
			args:   []string{"--continue-on-error", dvProd, sampleorg.EmptyDataViewID},
			status: map[string]report.Status{dvProd: report.Success, sampleorg.EmptyDataViewID: report.Failed},
			reason: map[string][]string{sampleorg.EmptyDataViewID: {"No metrics or dimensions found"}},
		},
		// --- IMS ---
		{
			key: "ims-unreachable",
			prep: func(t *testing.T, s *setup, _ *sampleorg.Options) {
				s.configJSON = map[string]any{"ims_url": closedPort(t)}
			},
			s:    setup{config: true},
			args: append([]string{"--batch"}, three...),
			exit: 1,
			says: append(initFailed, "cannot reach IMS at http://127.0.0.1:", "gave up after 6 attempts", "check the network connection and the IMS URL"),
		},
		{
			key:  "ims-wrong-secret",
			s:    setup{config: true, configJSON: map[string]any{"secret": "p8e-WRONG-secret-of-the-faults-suite-0001"}},
			args: append([]string{"--batch"}, three...),
			exit: 1,
			says: append(initFailed, "IMS rejected the credentials", "invalid_client", "check the client ID, client secret, org ID and scopes"),
			check: func(t *testing.T, r *cliRun, _ outcome) {
				if n := r.sim.Stats().Requests.Token; n != 1 {
					t.Errorf("%d token requests: rejected credentials must not be retried", n)
				}
			},
		},
		imsBody("ims-oauth-invalid-client", 401, bodyOAuthClient, "invalid_client", "check the client ID, client secret"),
		imsBody("ims-oauth-invalid-scope", 400, bodyOAuthScope, "invalid scope", "scopes"),
		imsBody("ims-gateway-401013", 401, bodyBadToken, "Oauth token is not valid", "check the client ID"),
		imsBody("ims-gateway-403003", 403, bodyBadAPIKey, "Api Key is invalid", "check the client ID"),
		imsBody("ims-gateway-429050", 429, bodyThrottled, "Too many requests", "lower --workers"),
		imsBody("ims-gateway-503", 503, bodyBackend, "backend timeout", "retry later"),
		imsBody("ims-cja-invalid-token", 401, bodyInvalidTok, "The access token is invalid or expired", "check the client ID"),
		imsBody("ims-not-json", 200, "<html><body>Service Unavailable</body></html>", "IMS answer is not JSON", "report it"),
		{
			key:    "ims-burst",
			sim:    sampleorg.Options{Faults: onIMS(sampleorg.FailFirst(2, sampleorg.FaultUnavailable))},
			args:   append([]string{"--batch"}, three...),
			status: all3Success,
			says:   []string{"get IMS token", "cja: retrying"},
		},
		// --- where the files go ---
		{
			key:  "output-dir-under-file",
			s:    setup{prepare: blocker},
			args: []string{"--output-dir", "blocker/sub", "--batch", dvProd, dvFrance},
			exit: 1,
			says: []string{"cannot write to output directory", "blocker", "choose another --output-dir"},
		},
		{
			key:  "output-dir-is-file",
			s:    setup{prepare: blocker},
			args: []string{"--output-dir", "blocker", dvProd},
			exit: 1,
			says: []string{"cannot write to output directory", "choose another --output-dir"},
		},
		{
			key:  "logs-dir-unwritable",
			s:    setup{prepare: func(t *testing.T, dir string) { writeFile(t, dir, "logs", "not a directory") }},
			args: []string{dvProd},
			exit: 1,
			says: []string{"cannot create the log directory", "writable directory"},
		},
		{
			key: "cache-dir-unusable",
			s:   setup{prepare: blocker},
			prep: func(t *testing.T, s *setup, _ *sampleorg.Options) {
				s.env = map[string]string{"CJA_CACHE_DIR": "blocker/cache"}
			},
			args:   []string{"--enable-cache", "--batch", dvProd, dvFrance},
			status: all3Success,
			says:   []string{"WARNING", "Validation cache unusable", "running without it", "CJA_CACHE_DIR"},
		},
		{
			key: "cache-file-corrupt",
			s: setup{prepare: func(t *testing.T, dir string) {
				writeFile(t, dir, "cache/validation-cache.json", "{\"format\":1,\"entries\":[{\"key\":")
			}},
			args:   []string{"--enable-cache", "--batch", dvProd, dvFrance},
			status: all3Success,
			says:   []string{"WARNING", "unreadable", "starting with an empty cache"},
		},
		// --- stopping a run ---
		{
			key:    "stop-at-first-failure",
			args:   []string{"--workers", "1", sampleorg.MissingDataViewID, dvProd, dvFrance},
			exit:   1,
			status: map[string]report.Status{sampleorg.MissingDataViewID: report.Failed, "*": report.Skipped},
			reason: map[string][]string{dvProd: {"not started", "--continue-on-error"}},
		},
		{
			key: "ctrl-c-batch",
			prep: func(t *testing.T, s *setup, o *sampleorg.Options) {
				// Ctrl-C arrives when the third data view starts: two are done
				// or in flight, one is starting, three never start.
				ctx, cancel := context.WithCancel(context.Background())
				t.Cleanup(cancel)
				s.ctx = ctx
				o.Latency = 20 * time.Millisecond
				o.Faults = onDV(dvUnsafe, func(*http.Request, int64) *sampleorg.Fault { cancel(); return nil })
			},
			args: []string{"--workers", "2", dvProd, dvFrance, dvUnsafe, dvB2B, dvMobile, dvNull},
			exit: 130,
			says: []string{"BATCH PROCESSING SUMMARY", "Interrupted", "partial files removed"},
			check: func(t *testing.T, r *cliRun, o outcome) {
				n := map[report.Status]int{}
				for _, st := range o.status {
					n[st]++
				}
				if n[report.Cancelled] == 0 || n[report.Skipped] == 0 {
					t.Errorf("statuses %v: want cancelled and not-started data views", o.status)
				}
				for id, st := range o.status {
					if st != report.Success && !strings.Contains(o.reason[id], "interrupt") {
						t.Errorf("%s %s: reason %q does not say the run was interrupted", id, st, o.reason[id])
					}
				}
			},
		},
		{
			key:  "ctrl-c-at-startup",
			prep: cancelOn(onIMS, sampleorg.FaultHang),
			args: append([]string{"--batch"}, three...),
			exit: 130,
			says: []string{"Interrupted", "nothing was processed"},
		},
		{
			key:  "ctrl-c-while-listing",
			prep: cancelOn(func(ff sampleorg.FaultFunc) sampleorg.FaultFunc { return onExact("/data/dataviews", ff) }, sampleorg.FaultHang),
			args: []string{"--all"},
			exit: 130,
			says: []string{"Interrupted", "nothing was processed"},
		},
		{
			key: "ctrl-c-single",
			prep: func(t *testing.T, s *setup, o *sampleorg.Options) {
				ctx, cancel := context.WithCancel(context.Background())
				t.Cleanup(cancel)
				s.ctx = ctx
				o.Faults = sampleorg.OnPath("/dimensions", func(*http.Request, int64) *sampleorg.Fault {
					cancel()
					return &sampleorg.FaultHang
				})
			},
			args: []string{dvProd},
			exit: 130,
			says: []string{"FAILED: ", "interrupt"},
		},
	}
}

// cancelOn cancels the run (Ctrl-C) when a request that where selects
// arrives, which is then answered with f.
func cancelOn(where func(sampleorg.FaultFunc) sampleorg.FaultFunc, f sampleorg.Fault) func(*testing.T, *setup, *sampleorg.Options) {
	return func(t *testing.T, s *setup, o *sampleorg.Options) {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		s.ctx = ctx
		o.Faults = where(func(*http.Request, int64) *sampleorg.Fault { cancel(); return &f })
	}
}

func burst(code int) faultCase {
	return faultCase{
		key:    "burst-" + itoa(code),
		sim:    sampleorg.Options{Faults: onCJA(sampleorg.FailFirst(4, sampleorg.Fault{Status: code}))},
		args:   append([]string{"--batch"}, three...),
		status: all3Success,
		says:   []string{"cja: retrying", "HTTP " + itoa(code)},
	}
}

func persistent(code int, body string) faultCase {
	return faultCase{
		key:    "persistent-" + itoa(code),
		sim:    sampleorg.Options{Faults: onDV(dvFrance, sampleorg.Always(sampleorg.Fault{Status: code, Body: body}))},
		args:   append([]string{"--continue-on-error"}, three...),
		status: map[string]report.Status{dvFrance: report.Failed, "*": report.Success},
		reason: map[string][]string{dvFrance: {dvFrance, "HTTP " + itoa(code), "gave up after 6 attempts", "retry later"}},
	}
}

// imsBody is IMS answering every token request with code and body: the
// run stops before any data view with a clear error and exit 1.
func imsBody(key string, code int, body string, says ...string) faultCase {
	return faultCase{
		key:  key,
		sim:  sampleorg.Options{Faults: onIMS(sampleorg.Always(status(code, body)))},
		args: append([]string{"--batch"}, three...),
		exit: 1,
		says: append(append([]string{}, initFailed...), says...),
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestCLIFaults(t *testing.T) {
	for _, tc := range cliFaultCases() {
		t.Run(tc.key, func(t *testing.T) {
			scenario(t, tc.key)
			s := tc.s
			opts := tc.sim
			if tc.prep != nil {
				tc.prep(t, &s, &opts)
			}
			s.sim = newSim(opts)
			r := runCLI(t, s, tc.args...)
			o := checkInvariant(t, r)
			if r.code != tc.exit {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.exit, r.stdout, r.stderr)
			}
			ids, _ := r.requested()
			wantStatus(t, o, ids, tc.status)
			all := r.console() + r.logText()
			for _, want := range tc.says {
				if !strings.Contains(all, want) {
					t.Errorf("the user never sees %q:\nstdout:\n%s\nstderr:\n%s", want, r.stdout, r.stderr)
				}
			}
			for id, wants := range tc.reason {
				for _, want := range wants {
					if !strings.Contains(o.reason[id], want) {
						t.Errorf("%s: reason %q lacks %q", id, o.reason[id], want)
					}
				}
			}
			if r.code != 0 && o.mode == "none" && !advice.MatchString(r.stderr) {
				t.Errorf("the error does not say what to do:\n%s", r.stderr)
			}
			if tc.check != nil {
				tc.check(t, r, o)
			}
		})
	}
}
