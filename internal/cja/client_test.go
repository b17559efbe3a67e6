package cja

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/ratelimit"
	"github.com/cja-sdr/cja-sdr/internal/syncbuf"
)

const (
	testOrg    = "ABC123@AdobeOrg"
	testClient = "client-id-123"
	testSecret = "p8e-S3CR3T-do-not-leak"
	testScopes = "openid, AdobeID, additional_info.projectedProductContext"
	tokenStem  = "eyJ-TOKEN-do-not-leak-"
)

// fakeIMS issues tokens tokenStem+"1", tokenStem+"2"... and checks that the
// secret travels in the form body only.
type fakeIMS struct {
	t         *testing.T
	calls     atomic.Int64
	expiresIn int
	reject    string // when set, answer 401 with this body
}

func (f *fakeIMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.calls.Add(1)
	if r.Method != http.MethodPost || r.URL.Path != "/ims/token/v3" {
		f.t.Errorf("IMS got %s %s", r.Method, r.URL.Path)
	}
	if r.URL.RawQuery != "" {
		f.t.Errorf("IMS query string %q: secrets belong in the body", r.URL.RawQuery)
	}
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("IMS form: %v", err)
	}
	want := map[string]string{
		"grant_type": "client_credentials", "client_id": testClient, "client_secret": testSecret,
		"scope": "openid,AdobeID,additional_info.projectedProductContext",
	}
	for k, v := range want {
		if got := r.PostForm.Get(k); got != v {
			f.t.Errorf("IMS form %s = %q, want %q", k, got, v)
		}
	}
	if f.reject != "" {
		writeJSON(w, http.StatusUnauthorized, f.reject)
		return
	}
	expires := f.expiresIn
	if expires == 0 {
		expires = 86399
	}
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"access_token":%q,"token_type":"bearer","expires_in":%d}`, tokenStem+strconv.FormatInt(n, 10), expires))
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// sleepRecorder replaces Config.Sleep: it records the waits and skips them.
type sleepRecorder struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

// fakeClock is a settable Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testEnv is a client wired to its own IMS and CJA test servers.
type testEnv struct {
	t      *testing.T
	ims    *fakeIMS
	cja    *httptest.Server
	client *Client
	sleeps *sleepRecorder
	logs   *syncbuf.Buffer
	// hits counts CJA requests by path.
	mu   sync.Mutex
	hits map[string]int
}

// newEnv starts the servers. IMS and CJA get separate servers so that
// the first CJA request uses a fresh connection (the transport silently
// replays some failures on reused ones, which would hide the client's own
// retries).
func newEnv(t *testing.T, cja http.Handler, opts ...func(*Config)) *testEnv {
	t.Helper()
	e := &testEnv{t: t, ims: &fakeIMS{t: t}, sleeps: &sleepRecorder{}, logs: &syncbuf.Buffer{}, hits: map[string]int{}}
	imsSrv := httptest.NewServer(e.ims)
	t.Cleanup(imsSrv.Close)
	e.cja = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.hits[r.URL.Path]++
		e.mu.Unlock()
		checkHeaders(t, r)
		cja.ServeHTTP(w, r)
	}))
	t.Cleanup(e.cja.Close)
	cfg := Config{
		OrgID: testOrg, ClientID: testClient, Secret: testSecret, Scopes: testScopes,
		IMSURL: imsSrv.URL, CJAURL: e.cja.URL + "/",
		RateLimit:      -1,
		RequestTimeout: 10 * time.Second,
		Sleep:          e.sleeps.sleep,
		Logger:         slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	return e
}

func (e *testEnv) hitsOf(path string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hits[path]
}

func (e *testEnv) totalHits() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, v := range e.hits {
		n += v
	}
	return n
}

func checkHeaders(t *testing.T, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "+tokenStem) {
		t.Errorf("Authorization header %q", r.Header.Get("Authorization"))
	}
	for h, want := range map[string]string{"x-api-key": testClient, "x-gw-ims-org-id": testOrg, "Accept": "application/json"} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
}

// routes maps mux patterns to handlers; tests start from dataViewRoutes
// and replace the routes they want to misbehave.
type routes map[string]http.HandlerFunc

func (rt routes) set(pattern string, h http.HandlerFunc) { rt[pattern] = h }

func (rt routes) handler() http.Handler {
	mux := http.NewServeMux()
	for p, h := range rt {
		mux.HandleFunc(p, h)
	}
	return mux
}

// dataViewRoutes serves any data view with single-page metrics and
// dimensions.
func dataViewRoutes() routes {
	return routes{
		"GET /data/dataviews/{id}": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, fmt.Sprintf(`{"id":%q,"name":"Web","owner":{"name":"Jane Doe"},"sessionDefinition":{"numPeriods":30}}`, r.PathValue("id")))
		},
		"GET /data/dataviews/{id}/metrics": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"content":[{"id":"metrics/visits","name":"Visits","type":"int","brandNewField":{"x":1}}],"number":0,"totalPages":1,"lastPage":true}`)
		},
		"GET /data/dataviews/{id}/dimensions": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"content":[{"id":"variables/page","name":"Page","type":"string"},{"id":"variables/day","name":"Day","type":"time"}],"lastPage":true}`)
		},
	}
}

func listRoute(body func(n int) (int, string)) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, b := body(int(n.Add(1)))
		writeJSON(w, status, b)
	})
}

const onePageList = `{"content":[{"id":"dv_1","name":"One","owner":{"name":"Jane"}}],"lastPage":true}`

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *cja.Error", err, err)
	}
	return e
}

func TestNewValidatesAndDefaults(t *testing.T) {
	for _, cfg := range []Config{
		{ClientID: "c", Secret: "s"},
		{OrgID: "o", Secret: "s"},
		{OrgID: "o", ClientID: "c", Secret: "  "},
		{OrgID: "o", ClientID: "c", Secret: "s", CJAURL: "ftp://x"},
	} {
		// The command prefixes "CJA initialization failed: " itself.
		if _, err := New(cfg); err == nil || strings.Contains(err.Error(), "CJA initialization failed") {
			t.Errorf("New(%+v) = %v, want a plain configuration error", cfg, err)
		}
	}
	c, err := New(Config{OrgID: "o", ClientID: "c", Secret: "s", Scopes: " a , b,,c "})
	if err != nil {
		t.Fatal(err)
	}
	got := c.cfg
	if got.IMSURL != DefaultIMSURL || got.CJAURL != DefaultCJAURL || got.Scopes != "a,b,c" ||
		got.Limiter == nil || got.Limiter.Limit != 12 || got.Limiter.Per != 6*time.Second ||
		got.MaxRetries != 5 || got.RequestTimeout != time.Minute || got.PageSize != 100 || got.MaxPages != 1000 {
		t.Errorf("defaults not applied: %+v", got)
	}
	c, _ = New(Config{OrgID: "o", ClientID: "c", Secret: "s", RateLimit: -1, MaxRetries: -1})
	if c.cfg.Limiter != nil || c.cfg.MaxRetries != 0 {
		t.Errorf("negative RateLimit/MaxRetries: limiter %v, retries %d", c.cfg.Limiter, c.cfg.MaxRetries)
	}
}

func TestFetchDataViewMakesThreeConcurrentRequests(t *testing.T) {
	// Each handler waits until all three requests have arrived: a client
	// that sent them one by one would stall here (until the fallback) and
	// see at most one in flight.
	var arrived, inFlight, maxInFlight atomic.Int64
	allIn := make(chan struct{})
	inner := dataViewRoutes().handler()
	queries := map[string]url.Values{}
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries[r.URL.Path] = r.URL.Query()
		mu.Unlock()
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if cur <= m || maxInFlight.CompareAndSwap(m, cur) {
				break
			}
		}
		if arrived.Add(1) == 3 {
			close(allIn)
		}
		select {
		case <-allIn:
		case <-time.After(5 * time.Second):
		}
		inner.ServeHTTP(w, r)
	})
	e := newEnv(t, h)
	data, err := e.client.FetchDataView(context.Background(), "dv_1")
	if err != nil {
		t.Fatal(err)
	}
	if data.Requests != 3 || e.totalHits() != 3 || e.client.Requests() != 3 {
		t.Errorf("requests: data %d, server %d, client %d; want 3", data.Requests, e.totalHits(), e.client.Requests())
	}
	if got := maxInFlight.Load(); got != 3 {
		t.Errorf("at most %d requests were in flight together, want 3", got)
	}
	if data.DataView.Name() != "Web" || data.DataView.OwnerName() != "Jane Doe" || len(data.Metrics) != 1 || len(data.Dimensions) != 2 {
		t.Errorf("unexpected data: %+v", data)
	}
	if x, ok := data.Metrics[0]["brandNewField"].(map[string]any); !ok || x["x"] != 1.0 {
		t.Errorf("unknown field lost: %v", data.Metrics[0])
	}
	if _, ok := data.DataView["sessionDefinition"].(map[string]any); !ok {
		t.Errorf("data view field lost: %v", data.DataView)
	}
	for path, exp := range map[string]string{"/data/dataviews/dv_1/metrics": metricExpansion, "/data/dataviews/dv_1/dimensions": dimensionExpansion} {
		q := queries[path]
		if q.Get("expansion") != exp || q.Get("includeType") != "hidden" || q.Get("locale") != "en_US" ||
			q.Get("limit") != "1000" || q.Get("page") != "0" {
			t.Errorf("%s query %v", path, q)
		}
	}
	if q := queries["/data/dataviews/dv_1"]; q.Get("expansion") != dataViewExpansion ||
		!strings.Contains(q.Get("expansion"), "sessionDefinition") {
		t.Errorf("data view query %v", q)
	}
	if e.ims.calls.Load() != 1 {
		t.Errorf("IMS calls %d, want 1", e.ims.calls.Load())
	}
}

func TestTokenSharedAcrossConcurrentFetches(t *testing.T) {
	rt := dataViewRoutes()
	e := newEnv(t, rt.handler())
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if _, err := e.client.FetchDataView(context.Background(), fmt.Sprintf("dv_%d", i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := e.ims.calls.Load(); n != 1 {
		t.Errorf("IMS token requests %d, want 1", n)
	}
	if n := e.client.Requests(); n != 60 {
		t.Errorf("Requests() = %d, want 60", n)
	}
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := newEnv(t, listRoute(func(int) (int, string) { return 200, onePageList }),
		func(c *Config) { c.Now = clock.Now })
	e.ims.expiresIn = 3600
	list := func() {
		t.Helper()
		if _, err := e.client.ListDataViews(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	list()
	clock.Add(54 * time.Minute) // 6 min left: still good
	list()
	if n := e.ims.calls.Load(); n != 1 {
		t.Fatalf("IMS calls %d after 54 min, want 1", n)
	}
	clock.Add(2 * time.Minute) // 4 min left: inside the 5 min margin
	list()
	if n := e.ims.calls.Load(); n != 2 {
		t.Fatalf("IMS calls %d after 56 min, want 2", n)
	}
}

func TestUnauthorizedRefreshesOnceThenFails(t *testing.T) {
	e := newEnv(t, listRoute(func(int) (int, string) {
		return 401, `{"error_code":"401013","message":"Oauth token is not valid"}`
	}))
	_, err := e.client.ListDataViews(context.Background())
	ce := asError(t, err)
	if ce.Kind != KindUnauthorized || !errors.Is(err, ErrUnauthorized) || ce.Code != "401013" ||
		!strings.Contains(ce.Hint, "product profile") || !strings.Contains(ce.Message, "Oauth token is not valid") {
		t.Errorf("error %#v", ce)
	}
	if e.ims.calls.Load() != 2 || e.totalHits() != 2 {
		t.Errorf("IMS calls %d, CJA calls %d; want 2 and 2", e.ims.calls.Load(), e.totalHits())
	}
	if len(e.sleeps.waits()) != 0 {
		t.Errorf("a token refresh should not back off: %v", e.sleeps.waits())
	}
}

func TestUnauthorizedRefreshSharedByWorkers(t *testing.T) {
	// The first token is revoked; 20 workers all get 401 with it, and must
	// cause one new token between them, then succeed.
	e := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+tokenStem+"1" {
			writeJSON(w, 401, `{"errorCode":"invalid_token","errorDescription":"revoked"}`)
			return
		}
		writeJSON(w, 200, onePageList)
	}))
	// Get token 1 in first so every worker starts with it.
	if _, err := e.client.token(context.Background()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := e.client.ListDataViews(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := e.ims.calls.Load(); n != 2 {
		t.Errorf("IMS calls %d, want 2", n)
	}
}

func TestPagination(t *testing.T) {
	tests := []struct {
		name  string
		pages []string
		want  int // metrics
	}{
		{"lastPage", []string{
			`{"content":[{"id":"m1"},{"id":"m2"}],"firstPage":true,"lastPage":false}`,
			`{"content":[{"id":"m3"}],"firstPage":false,"lastPage":true}`,
		}, 3},
		{"last (Spring style)", []string{
			`{"content":[{"id":"m1"}],"first":true,"last":false,"number":0}`,
			`{"content":[{"id":"m2"}],"first":false,"last":false,"number":1}`,
			`{"content":[{"id":"m3"}],"first":false,"last":true,"number":2}`,
		}, 3},
		{"totalPages only", []string{
			`{"content":[{"id":"m1"}],"number":0,"totalPages":3}`,
			`{"content":[{"id":"m2"}],"number":1,"totalPages":3}`,
			`{"content":[{"id":"m3"},{"id":"m4"}],"number":2,"totalPages":3}`,
		}, 4},
		{"empty last page", []string{
			`{"content":[{"id":"m1"}]}`,
			`{"content":[{"id":"m2"}]}`,
			`{"content":[]}`,
		}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := dataViewRoutes()
			rt.set("GET /data/dataviews/{id}/metrics", func(w http.ResponseWriter, r *http.Request) {
				p, _ := strconv.Atoi(r.URL.Query().Get("page"))
				if p >= len(tt.pages) {
					t.Errorf("asked for page %d of %d", p, len(tt.pages))
					writeJSON(w, 200, `{"content":[]}`)
					return
				}
				writeJSON(w, 200, tt.pages[p])
			})
			e := newEnv(t, rt.handler())
			data, err := e.client.FetchDataView(context.Background(), "dv_1")
			if err != nil {
				t.Fatal(err)
			}
			if len(data.Metrics) != tt.want {
				t.Errorf("%d metrics, want %d", len(data.Metrics), tt.want)
			}
			if got := e.hitsOf("/data/dataviews/dv_1/metrics"); got != len(tt.pages) {
				t.Errorf("%d metric requests, want %d", got, len(tt.pages))
			}
			if data.Requests != len(tt.pages)+2 {
				t.Errorf("Requests %d, want %d", data.Requests, len(tt.pages)+2)
			}
		})
	}
}

func TestPageCapStopsNeverEndingAPI(t *testing.T) {
	rt := dataViewRoutes()
	rt.set("GET /data/dataviews/{id}/dimensions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"content":[{"id":"variables/x"}],"lastPage":false,"number":0,"totalPages":99999}`)
	})
	e := newEnv(t, rt.handler(), func(c *Config) { c.MaxPages = 7 })
	_, err := e.client.FetchDataView(context.Background(), "dv_1")
	ce := asError(t, err)
	if ce.Kind != KindBadResponse || !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), "/dimensions") ||
		!strings.Contains(err.Error(), "7 pages") || ce.Op != "get dimensions of dv_1" {
		t.Errorf("error %v", err)
	}
	if got := e.hitsOf("/data/dataviews/dv_1/dimensions"); got != 7 {
		t.Errorf("%d dimension requests, want 7", got)
	}
}

func TestListDataViewsAcrossPages(t *testing.T) {
	var q url.Values
	e := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/data/dataviews" {
			t.Errorf("path %s", r.URL.Path)
		}
		q = r.URL.Query()
		switch q.Get("page") {
		case "0":
			writeJSON(w, 200, `{"content":[{"id":"dv_a","name":"A","owner":{"name":"Ann"}},{"id":"dv_b","name":"B","owner":{"name":null}}],"number":0,"totalPages":2,"totalElements":3}`)
		default:
			writeJSON(w, 200, `{"content":[{"id":"dv_c","name":"C"}],"number":1,"totalPages":2,"totalElements":3}`)
		}
	}), func(c *Config) { c.PageSize = 2 })
	got, err := e.client.ListDataViews(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []DataViewInfo{{"dv_a", "A", "Ann"}, {"dv_b", "B", ""}, {"dv_c", "C", ""}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if q.Get("limit") != "2" || q.Get("expansion") != dataViewExpansion {
		t.Errorf("query %v", q)
	}
}

func TestIDIsEscaped(t *testing.T) {
	mux := dataViewRoutes().handler()
	var uris []string
	var mu sync.Mutex
	e := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uris = append(uris, r.RequestURI)
		mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	data, err := e.client.FetchDataView(context.Background(), "dv_a/b c")
	if err != nil || data.DataView.ID() != "dv_a/b c" {
		t.Fatalf("got %v, %v", data, err)
	}
	for _, u := range uris {
		if !strings.HasPrefix(u, "/data/dataviews/dv_a%2Fb%20c") {
			t.Errorf("request URI %s: id not escaped", u)
		}
	}
	if len(uris) == 0 {
		t.Error("no request made")
	}
}

func TestThrottlingRetries(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)}
	tests := []struct {
		name       string
		status     int
		retryAfter string
		check      func(t *testing.T, waits []time.Duration)
	}{
		{"no Retry-After: full jitter backoff", 429, "", func(t *testing.T, waits []time.Duration) {
			for n, d := range waits {
				if d < 0 || d > time.Second<<n {
					t.Errorf("wait %d = %v, want within [0, %v]", n, d, time.Second<<n)
				}
			}
		}},
		{"Retry-After seconds", 429, "2", func(t *testing.T, waits []time.Duration) {
			if !slices.Equal(waits, []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second}) {
				t.Errorf("waits %v", waits)
			}
		}},
		{"absurd Retry-After capped", 429, "86400", func(t *testing.T, waits []time.Duration) {
			if !slices.Equal(waits, []time.Duration{time.Minute, time.Minute, time.Minute}) {
				t.Errorf("waits %v", waits)
			}
		}},
		{"Retry-After HTTP date", 429, clock.Now().Add(10 * time.Second).Format(http.TimeFormat), func(t *testing.T, waits []time.Duration) {
			if !slices.Equal(waits, []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second}) {
				t.Errorf("waits %v", waits)
			}
		}},
		{"503 Retry-After", 503, "3", func(t *testing.T, waits []time.Duration) {
			if !slices.Equal(waits, []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second}) {
				t.Errorf("waits %v", waits)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			e := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) <= 3 {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					writeJSON(w, tt.status, `{"error_code":"429050","message":"Too many requests"}`)
					return
				}
				writeJSON(w, 200, onePageList)
			}), func(c *Config) { c.Now = clock.Now })
			got, err := e.client.ListDataViews(context.Background())
			if err != nil || len(got) != 1 {
				t.Fatalf("got %v, %v", got, err)
			}
			waits := e.sleeps.waits()
			if len(waits) != 3 {
				t.Fatalf("waits %v, want 3", waits)
			}
			tt.check(t, waits)
			if e.client.Requests() != 4 {
				t.Errorf("Requests() = %d, want 4", e.client.Requests())
			}
			wantThrottled := int64(3)
			if tt.status != 429 {
				wantThrottled = 0
			}
			if e.client.Throttled() != wantThrottled {
				t.Errorf("Throttled() = %d, want %d", e.client.Throttled(), wantThrottled)
			}
		})
	}
}

func TestThrottledAfterAllRetries(t *testing.T) {
	e := newEnv(t, listRoute(func(int) (int, string) {
		return 429, `{"errorCode":"too_many_requests","errorDescription":"slow down"}`
	}))
	_, err := e.client.ListDataViews(context.Background())
	ce := asError(t, err)
	if ce.Kind != KindThrottled || !errors.Is(err, ErrThrottled) || !Retryable(err) || ce.Status != 429 ||
		ce.Code != "too_many_requests" || !strings.Contains(ce.Hint, "--workers") || !strings.Contains(err.Error(), "6 attempts") {
		t.Errorf("error %v (%#v)", err, ce)
	}
	if e.totalHits() != 6 || e.client.Throttled() != 6 || len(e.sleeps.waits()) != 5 {
		t.Errorf("hits %d, throttled %d, waits %d; want 6, 6, 5", e.totalHits(), e.client.Throttled(), len(e.sleeps.waits()))
	}
}

func TestServerErrorsRetried(t *testing.T) {
	for _, status := range []int{408, 500, 502, 503, 504} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			var n atomic.Int64
			api := dataViewRoutes().handler()
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/metrics") && n.Add(1) <= 2 {
					writeJSON(w, status, `{"statusCode":503,"message":"backend timeout"}`)
					return
				}
				api.ServeHTTP(w, r)
			})
			e := newEnv(t, h)
			data, err := e.client.FetchDataView(context.Background(), "dv_1")
			if err != nil {
				t.Fatal(err)
			}
			if data.Requests != 5 || e.hitsOf("/data/dataviews/dv_1/metrics") != 3 {
				t.Errorf("Requests %d (want 5), metric hits %d (want 3)", data.Requests, e.hitsOf("/data/dataviews/dv_1/metrics"))
			}
		})
	}
}

func TestServerErrorAfterAllRetries(t *testing.T) {
	e := newEnv(t, listRoute(func(int) (int, string) {
		return 500, `{"statusCode":500,"message":"backend timeout"}`
	}), func(c *Config) { c.MaxRetries = 2 })
	_, err := e.client.ListDataViews(context.Background())
	ce := asError(t, err)
	if ce.Kind != KindServer || !errors.Is(err, ErrServer) || !Retryable(err) || ce.Message != "backend timeout (gave up after 3 attempts)" ||
		ce.Hint != "retry later" {
		t.Errorf("error %#v", ce)
	}
	if e.totalHits() != 3 {
		t.Errorf("hits %d, want 3", e.totalHits())
	}
}

func TestClientErrorsNotRetried(t *testing.T) {
	tests := []struct {
		status   int
		body     string
		kind     Kind
		sentinel error
		code     string
		msg      string
		hint     string
	}{
		{404, `{"errorCode":"resource_not_found","errorDescription":"Data view dv_1 not found","errorId":"e-1"}`,
			KindNotFound, ErrNotFound, "resource_not_found", "Data view dv_1 not found", "--list-dataviews"},
		{403, `{"errorCode":"insufficient_access","errorDescription":"no access"}`,
			KindForbidden, ErrForbidden, "insufficient_access", "no access", "product profile"},
		{403, `{"error_code":"403003","message":"Api Key is invalid"}`,
			KindForbidden, ErrForbidden, "403003", "Api Key is invalid", "client ID"},
		{400, `{"statusCode":400,"message":"bad expansion"}`,
			KindUnknown, nil, "", "bad expansion", "rejected"},
		{404, `<html>Not Found</html>`, KindNotFound, ErrNotFound, "", "<html>Not Found</html>", "--list-dataviews"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.status, tt.code), func(t *testing.T) {
			rt := dataViewRoutes()
			rt.set("GET /data/dataviews/{id}", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, tt.status, tt.body)
			})
			e := newEnv(t, rt.handler())
			_, err := e.client.FetchDataView(context.Background(), "dv_1")
			ce := asError(t, err)
			if ce.Kind != tt.kind || ce.Status != tt.status || ce.Code != tt.code || ce.Message != tt.msg ||
				!strings.Contains(ce.Hint, tt.hint) || ce.Op != "get data view dv_1" || Retryable(err) {
				t.Errorf("error %#v", ce)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.sentinel)
			}
			if got := e.hitsOf("/data/dataviews/dv_1"); got != 1 {
				t.Errorf("%d requests, want 1 (no retry)", got)
			}
			if len(e.sleeps.waits()) != 0 {
				t.Errorf("slept %v", e.sleeps.waits())
			}
		})
	}
}

func TestConnectionResetRetried(t *testing.T) {
	var n atomic.Int64
	e := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with RST: a real reset
			}
			conn.Close()
			return
		}
		writeJSON(w, 200, onePageList)
	}))
	got, err := e.client.ListDataViews(context.Background())
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	if e.client.Requests() != 2 || len(e.sleeps.waits()) != 1 {
		t.Errorf("Requests %d, waits %v; want 2 and one wait", e.client.Requests(), e.sleeps.waits())
	}
}

func TestAttemptTimeoutRetried(t *testing.T) {
	var n atomic.Int64
	e := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select { // hang until the client gives up on this attempt
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		writeJSON(w, 200, onePageList)
	}), func(c *Config) { c.RequestTimeout = 100 * time.Millisecond })
	got, err := e.client.ListDataViews(context.Background())
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	if e.client.Requests() != 2 {
		t.Errorf("Requests %d, want 2", e.client.Requests())
	}
}

func TestNetworkErrorAfterAllRetries(t *testing.T) {
	e := newEnv(t, http.NotFoundHandler(), func(c *Config) { c.MaxRetries = 1 })
	e.cja.Close() // refused from now on
	_, err := e.client.ListDataViews(context.Background())
	ce := asError(t, err)
	if ce.Kind != KindNetwork || !errors.Is(err, ErrNetwork) || !Retryable(err) || ce.Status != 0 ||
		!strings.Contains(ce.Message, e.cja.URL) {
		t.Errorf("error %v", err)
	}
	if e.client.Requests() != 2 {
		t.Errorf("Requests %d, want 2", e.client.Requests())
	}
}

func TestBadResponsesOn200(t *testing.T) {
	tests := []struct {
		name, path, body, msg string
	}{
		{"list error object", "/data/dataviews", `{"errorCode":"unexpected_error","errorDescription":"boom"}`, "boom"},
		{"list not JSON", "/data/dataviews", `<html>gateway</html>`, "not a JSON object"},
		{"list without content", "/data/dataviews", `{"totalPages":1}`, "no content"},
		{"list content not objects", "/data/dataviews", `{"content":[1,2]}`, "content[0]"},
		{"metrics gateway error", "/data/dataviews/dv_1/metrics", `{"error_code":"401013","message":"Oauth token is not valid"}`, "Oauth token is not valid"},
		{"dimensions not JSON", "/data/dataviews/dv_1/dimensions", `Service Unavailable`, "not a JSON object"},
		{"data view 5xx body", "/data/dataviews/dv_1", `{"statusCode":503,"message":"backend timeout"}`, "backend timeout"},
		{"data view null", "/data/dataviews/dv_1", `null`, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := dataViewRoutes()
			rt.set("GET "+tt.path, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, tt.body) })
			e := newEnv(t, rt.handler())
			var err error
			if tt.path == "/data/dataviews" {
				_, err = e.client.ListDataViews(context.Background())
			} else {
				_, err = e.client.FetchDataView(context.Background(), "dv_1")
			}
			ce := asError(t, err)
			if ce.Kind != KindBadResponse || !errors.Is(err, ErrBadResponse) || Retryable(err) || !strings.Contains(ce.Message, tt.msg) {
				t.Errorf("error %v", err)
			}
			if got := e.hitsOf(tt.path); got != 1 {
				t.Errorf("%d requests, want 1", got)
			}
		})
	}
}

func TestCallerCancellationStopsImmediately(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newEnv(t, listRoute(func(int) (int, string) { return 503, `{}` }), func(c *Config) {
		c.Sleep = func(ctx context.Context, d time.Duration) error {
			cancel() // the user presses Ctrl-C during the backoff
			return ctx.Err()
		}
	})
	_, err := e.client.ListDataViews(ctx)
	if !errors.Is(err, context.Canceled) || Retryable(err) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if e.totalHits() != 1 {
		t.Errorf("%d requests after cancel, want 1", e.totalHits())
	}
}

func TestIMSErrors(t *testing.T) {
	t.Run("invalid_client", func(t *testing.T) {
		e := newEnv(t, http.NotFoundHandler())
		e.ims.reject = `{"error":"invalid_client","error_description":"invalid client_secret parameter"}`
		_, err := e.client.ListDataViews(context.Background())
		ce := asError(t, err)
		if ce.Kind != KindUnauthorized || !errors.Is(err, ErrUnauthorized) || ce.Code != "invalid_client" ||
			!strings.Contains(ce.Message, "IMS rejected the credentials") || !strings.Contains(ce.Message, "invalid client_secret parameter") ||
			!strings.Contains(ce.Hint, "Developer Console") {
			t.Errorf("error %#v", ce)
		}
		if e.totalHits() != 0 || e.ims.calls.Load() != 1 {
			t.Errorf("CJA hits %d, IMS calls %d: want 0 and 1 (no retry)", e.totalHits(), e.ims.calls.Load())
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		deadURL := dead.URL
		dead.Close()
		e := newEnv(t, http.NotFoundHandler(), func(c *Config) { c.IMSURL = deadURL; c.MaxRetries = 1 })
		_, err := e.client.ListDataViews(context.Background())
		ce := asError(t, err)
		if ce.Kind != KindNetwork || !errors.Is(err, ErrNetwork) || !strings.Contains(ce.Message, deadURL) ||
			!strings.Contains(ce.Hint, "IMS URL") || ce.Op != "get IMS token" {
			t.Errorf("error %v", err)
		}
	})
}

func TestSecretsNeverLeak(t *testing.T) {
	// A hostile API echoes everything it was sent; none of it may reach an
	// error message or a log line.
	echo := func(r *http.Request) string {
		b, _ := json.Marshal(fmt.Sprintf("you sent %s and %s", r.Header.Get("Authorization"), testSecret))
		return string(b)
	}
	rt := dataViewRoutes()
	rt.set("GET /data/dataviews", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 401, `{"error_code":"401013","message":`+echo(r)+`}`)
	})
	rt.set("GET /data/dataviews/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, `{"errorCode":`+echo(r)+`,"errorDescription":`+echo(r)+`}`)
	})
	rt.set("GET /data/dataviews/{id}/metrics", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 503, `{"statusCode":503,"message":`+echo(r)+`}`)
	})
	rt.set("GET /data/dataviews/{id}/dimensions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"error":`+echo(r)+`}`)
	})
	e := newEnv(t, rt.handler())
	var errs []error
	_, err := e.client.ListDataViews(context.Background())
	errs = append(errs, err)
	_, err = e.client.FetchDataView(context.Background(), "dv_1")
	errs = append(errs, err)
	_, err = fetchAll[Component](context.Background(), e.client, "get metrics of dv_1", "/data/dataviews/dv_1/metrics", url.Values{}, nil)
	errs = append(errs, err)
	_, err = fetchAll[Component](context.Background(), e.client, "get dimensions of dv_1", "/data/dataviews/dv_1/dimensions", url.Values{}, nil)
	errs = append(errs, err)

	// IMS echoing the secret back.
	bad := newEnv(t, http.NotFoundHandler())
	bad.ims.reject = `{"error":"invalid_client","error_description":"bad secret ` + testSecret + `"}`
	_, err = bad.client.ListDataViews(context.Background())
	errs = append(errs, err)

	texts := []string{e.logs.String(), bad.logs.String()}
	for _, err := range errs {
		if err == nil {
			t.Fatal("expected an error")
		}
		ce := asError(t, err)
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", *ce))
	}
	if !strings.Contains(texts[0], "retrying") {
		t.Errorf("expected retry log lines, got %q", texts[0])
	}
	for _, s := range texts {
		if strings.Contains(s, testSecret) || strings.Contains(s, tokenStem) {
			t.Errorf("secret or token leaked: %s", s)
		}
	}
}

func TestSharedLimiter(t *testing.T) {
	// Two clients share a 5-per-window limiter; the server must never see
	// more than 5 requests in one window. Server-side times trail the
	// limiter's admissions by the request's travel time, which can differ
	// between requests on a busy machine, so the check allows that much
	// slack (half a window) instead of asserting on exact durations.
	const per = 100 * time.Millisecond
	var mu sync.Mutex
	var seen []time.Time
	h := listRoute(func(int) (int, string) {
		mu.Lock()
		seen = append(seen, time.Now())
		mu.Unlock()
		return 200, onePageList
	})
	lim := ratelimit.New(5, per)
	a := newEnv(t, h, func(c *Config) { c.Limiter = lim })
	b := newEnv(t, h, func(c *Config) { c.Limiter = lim })
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			c := a.client
			if i%2 == 1 {
				c = b.client
			}
			if _, err := c.ListDataViews(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(seen) != 30 || a.client.Requests()+b.client.Requests() != 30 {
		t.Fatalf("server saw %d requests, clients made %d", len(seen), a.client.Requests()+b.client.Requests())
	}
	slices.SortFunc(seen, func(x, y time.Time) int { return x.Compare(y) })
	for i := 0; i+5 < len(seen); i++ {
		if d := seen[i+5].Sub(seen[i]); d < per/2 {
			t.Errorf("6 requests within %v (requests %d..%d)", d, i, i+5)
		}
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"5", 5 * time.Second, true},
		{" 0 ", 0, true},
		{"-3", 0, true},
		{"99999999999999999", time.Minute, true},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Minute, true},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.in, now, time.Minute)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffFullJitterBounds(t *testing.T) {
	c, _ := New(Config{OrgID: "o", ClientID: "c", Secret: "s", BaseBackoff: time.Second, MaxBackoff: 30 * time.Second})
	for n := range 70 { // beyond 2^63 ns, the shift must not overflow
		ceil := min(30*time.Second, time.Second<<min(n, 5))
		for range 50 {
			if d := c.backoff(n); d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", n, d, ceil)
			}
		}
	}
}

func TestParseAPIErrorShapes(t *testing.T) {
	tests := []struct{ body, code, msg string }{
		{`{"errorCode":"resource_not_found","errorDescription":"nope","errorId":"x"}`, "resource_not_found", "nope"},
		{`{"error_code":"429050","message":"Too many requests"}`, "429050", "Too many requests"},
		{`{"error":"invalid_client","error_description":"bad"}`, "invalid_client", "bad"},
		{`{"statusCode":503,"message":"backend timeout"}`, "", "backend timeout"},
		{`{"error":{"code":"E1","message":"nested"}}`, "E1", "nested"},
		{`{"error_code":401013}`, "401013", ""},
		{"<html>\n  Bad   Gateway\n</html>", "", "<html> Bad Gateway </html>"},
	}
	for _, tt := range tests {
		got := parseAPIError([]byte(tt.body))
		if got.Code != tt.code || got.Message != tt.msg {
			t.Errorf("parseAPIError(%s) = %+v, want %q %q", tt.body, got, tt.code, tt.msg)
		}
	}
}

// A redirect from IMS is never followed: a 307 would replay the form, and
// with it the client secret, to another host.
func TestIMSRedirectNotFollowed(t *testing.T) {
	var leaked atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
	}))
	defer elsewhere.Close()
	ims := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/ims/token/v3", http.StatusTemporaryRedirect)
	}))
	defer ims.Close()
	c, err := New(Config{OrgID: "o@AdobeOrg", ClientID: "cid", Secret: "s3cr3t", IMSURL: ims.URL, CJAURL: ims.URL})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Authenticate(context.Background())
	if err == nil || !strings.Contains(err.Error(), "redirect") || !strings.Contains(err.Error(), "ims_url") {
		t.Fatalf("err = %v", err)
	}
	if leaked.Load() != 0 {
		t.Fatal("the token request followed the redirect")
	}
}
