package sampleorg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// clock is a settable time source for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// api drives a Server through an HTTP client, the way the cja package will.
type api struct {
	t     *testing.T
	s     *Server
	hc    *http.Client
	base  string
	token string
}

// newAPI serves s in memory; base URLs are the demo ones.
func newAPI(t *testing.T, opts Options) *api {
	t.Helper()
	s := New(opts)
	return &api{t: t, s: s, hc: s.Client(), base: DemoCJAURL}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// tokenRequest posts form to the token endpoint (query appended to the URL).
func (a *api) tokenRequest(form url.Values, query string) response {
	a.t.Helper()
	u := DemoIMSURL + "/ims/token/v3"
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return a.do(req)
}

func demoForm() url.Values {
	c := DemoCredentials()
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID},
		"client_secret": {c.Secret}, "scope": {c.Scopes}}
}

// login gets a token and keeps it for later calls.
func (a *api) login() {
	a.t.Helper()
	r := a.tokenRequest(demoForm(), "")
	if r.status != 200 {
		a.t.Fatalf("token: %d %s", r.status, r.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	mustDecode(a.t, r.body, &tok)
	a.token = tok.AccessToken
}

// get calls a CJA path with the right headers, then applies edits to them.
func (a *api) get(path string, edit ...func(http.Header)) response {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.base+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	c := DemoCredentials()
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("x-api-key", c.ClientID)
	req.Header.Set("x-gw-ims-org-id", c.OrgID)
	req.Header.Set("Accept", "application/json")
	for _, e := range edit {
		e(req.Header)
	}
	return a.do(req)
}

func (a *api) do(req *http.Request) response {
	a.t.Helper()
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

func mustDecode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func expect(t *testing.T, r response, status int, body string) {
	t.Helper()
	if r.status != status || (body != "" && string(r.body) != body) {
		t.Fatalf("got %d %s, want %d %s", r.status, r.body, status, body)
	}
}

// expectCode checks a status and the error code of a JSON body, whatever
// the body's style (OAuth, gateway or CJA).
func expectCode(t *testing.T, r response, status int, code string) {
	t.Helper()
	var b struct {
		Error, ErrorCode, ErrorDescription, ErrorID string
	}
	mustDecode(t, r.body, &b)
	if r.status != status || (b.Error != code && b.ErrorCode != code) {
		t.Fatalf("got %d %s, want %d %s", r.status, r.body, status, code)
	}
	if b.ErrorCode != "" && (b.ErrorDescription == "" || b.ErrorID == "") {
		t.Errorf("CJA error body lacks errorDescription or errorId: %s", r.body)
	}
}

func TestTokenEndpoint(t *testing.T) {
	a := newAPI(t, Options{})
	r := a.tokenRequest(demoForm(), "")
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	mustDecode(t, r.body, &tok)
	if r.status != 200 || !strings.HasPrefix(tok.AccessToken, "eyJ") || tok.TokenType != "bearer" || tok.ExpiresIn != 86400 {
		t.Fatalf("token response %d %s", r.status, r.body)
	}

	without := func(k string) url.Values { f := demoForm(); f.Del(k); return f }
	with := func(k, v string) url.Values { f := demoForm(); f.Set(k, v); return f }
	cases := []struct {
		name   string
		form   url.Values
		query  string
		status int
		code   string
	}{
		{"wrong secret", with("client_secret", "nope"), "", 401, "invalid_client"},
		{"wrong client", with("client_id", "nope"), "", 401, "invalid_client"},
		{"missing grant_type", without("grant_type"), "", 400, "unsupported_grant_type"},
		{"jwt grant", with("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), "", 400, "unsupported_grant_type"},
		{"secret in query", without("client_secret"), "client_secret=" + DemoCredentials().Secret, 400, "invalid_request"},
		{"unknown scope", with("scope", "openid,ent_cja_sdk"), "", 400, "invalid_scope"},
		{"scopes with spaces", with("scope", "openid, AdobeID"), "", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a.tokenRequest(c.form, c.query)
			if c.status == 200 {
				expect(t, r, 200, "")
				return
			}
			expectCode(t, r, c.status, c.code)
			if strings.Contains(string(r.body), DemoCredentials().Secret) {
				t.Error("error body echoes the secret")
			}
		})
	}

	req, _ := http.NewRequest(http.MethodGet, DemoIMSURL+"/ims/token/v3", nil)
	expectCode(t, a.do(req), 405, "invalid_request")
	if got := a.s.Stats().TokensIssued; got != 2 {
		t.Errorf("TokensIssued = %d, want 2", got)
	}
}

func TestHeaderChecks(t *testing.T) {
	a := newAPI(t, Options{})
	a.login()
	path := "/data/dataviews/" + ProductionDataViewID
	set := func(k, v string) func(http.Header) { return func(h http.Header) { h.Set(k, v) } }
	del := func(k string) func(http.Header) { return func(h http.Header) { h.Del(k) } }

	expect(t, a.get(path), 200, "")
	expect(t, a.get(path, del("Authorization")), 401, gatewayBadToken)
	expect(t, a.get(path, set("Authorization", "Bearer forged")), 401, gatewayBadToken)
	expect(t, a.get(path, set("Authorization", a.token)), 401, gatewayBadToken) // no "Bearer "
	expect(t, a.get(path, del("x-api-key")), 403, gatewayBadAPIKey)
	expect(t, a.get(path, set("x-api-key", "someone-else")), 403, gatewayBadAPIKey)
	expectCode(t, a.get(path, set("x-gw-ims-org-id", "OTHER@AdobeOrg")), 403, "insufficient_access")
	expectCode(t, a.get(path, del("x-gw-ims-org-id")), 403, "insufficient_access")

	// A token from another server (another org's IMS) is unknown here.
	b := newAPI(t, Options{})
	b.token = "eyJ.not.issued"
	expect(t, b.get(path), 401, gatewayBadToken)
}

func TestTokenExpiry(t *testing.T) {
	clk := newClock()
	a := newAPI(t, Options{TokenTTL: 10 * time.Minute, Now: clk.Now})
	r := a.tokenRequest(demoForm(), "")
	if !bytes.Contains(r.body, []byte(`"expires_in":600`)) {
		t.Fatalf("token body %s, want expires_in 600", r.body)
	}
	a.login()
	expect(t, a.get("/data/dataviews"), 200, "")
	clk.Advance(10*time.Minute - time.Second)
	expect(t, a.get("/data/dataviews"), 200, "")
	clk.Advance(time.Second)
	expect(t, a.get("/data/dataviews"), 401, gatewayBadToken)
	a.login() // a fresh token works again
	expect(t, a.get("/data/dataviews"), 200, "")
}

// item is what the tests need of a listed object (decoding whole components
// would dominate the run time).
type item struct {
	ID     string `json:"id"`
	Hidden any    `json:"hidden"`
}

// page is the union of both envelope styles; pointers tell absent from false.
type page struct {
	Content          []item `json:"content"`
	Number           *int   `json:"number"`
	Size             *int   `json:"size"`
	TotalElements    *int   `json:"totalElements"`
	TotalPages       *int   `json:"totalPages"`
	NumberOfElements *int   `json:"numberOfElements"`
	FirstPage        *bool  `json:"firstPage"`
	LastPage         *bool  `json:"lastPage"`
	First            *bool  `json:"first"`
	Last             *bool  `json:"last"`
	Empty            *bool  `json:"empty"`
}

// walk fetches every page of path (query already holding any other params)
// and checks each envelope on the way.
func walk(t *testing.T, a *api, path, query, style string) []item {
	t.Helper()
	var all []item
	for n := 0; n < 1000; n++ {
		sep := "?"
		if query != "" {
			sep = "?" + query + "&"
		}
		r := a.get(fmt.Sprintf("%s%spage=%d", path, sep, n))
		expect(t, r, 200, "")
		var p page
		mustDecode(t, r.body, &p)
		if p.Content == nil || p.Number == nil || p.Size == nil || p.TotalElements == nil || p.TotalPages == nil || p.NumberOfElements == nil {
			t.Fatalf("incomplete envelope: %s", r.body)
		}
		if *p.Number != n || *p.NumberOfElements != len(p.Content) {
			t.Fatalf("page %d: number %d, numberOfElements %d, content %d", n, *p.Number, *p.NumberOfElements, len(p.Content))
		}
		var first, last bool
		switch style {
		case EnvelopeSpring:
			if p.FirstPage == nil || p.LastPage == nil || p.First != nil || p.Last != nil || p.Empty != nil {
				t.Fatalf("not a %s envelope: %s", style, r.body)
			}
			first, last = *p.FirstPage, *p.LastPage
		case EnvelopeLast:
			if p.First == nil || p.Last == nil || p.Empty == nil || p.FirstPage != nil || p.LastPage != nil {
				t.Fatalf("not a %s envelope: %s", style, r.body)
			}
			first, last = *p.First, *p.Last
			if *p.Empty != (len(p.Content) == 0) {
				t.Fatalf("empty = %v with %d items", *p.Empty, len(p.Content))
			}
		}
		if first != (n == 0) || last != (n+1 >= *p.TotalPages) {
			t.Fatalf("page %d of %d: first %v last %v", n, *p.TotalPages, first, last)
		}
		all = append(all, p.Content...)
		if last {
			if len(all) != *p.TotalElements {
				t.Fatalf("walked %d items, totalElements %d", len(all), *p.TotalElements)
			}
			return all
		}
	}
	t.Fatal("pages never ended")
	return nil
}

func ids(items []item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func TestPagination(t *testing.T) {
	for _, style := range []string{EnvelopeSpring, EnvelopeLast} {
		t.Run(style, func(t *testing.T) {
			a := newAPI(t, Options{Envelope: style, Synthetic: 5})
			a.login()
			want := a.s.DataViewIDs()
			if got := ids(walk(t, a, "/data/dataviews", "limit=3", style)); !slices.Equal(got, want) {
				t.Fatalf("list by 3 = %v, want %v", got, want)
			}
			if got := ids(walk(t, a, "/data/dataviews", "", style)); !slices.Equal(got, want) {
				t.Fatalf("list = %v, want %v", got, want)
			}

			f, _ := a.s.Fixture(LargeDataViewID)
			base := "/data/dataviews/" + LargeDataViewID
			for _, q := range []string{"includeType=hidden", "includeType=hidden&limit=1000", "includeType=hidden&limit=5000"} {
				dims := walk(t, a, base+"/dimensions", q, style)
				if len(dims) != f.Dimensions {
					t.Fatalf("%s: %d dimensions, want %d", q, len(dims), f.Dimensions)
				}
			}
			if n := len(walk(t, a, base+"/metrics", "includeType=hidden&limit=97", style)); n != f.Metrics {
				t.Fatalf("%d metrics, want %d", n, f.Metrics)
			}

			// Empty data view: one page, no items, content [] not null.
			r := a.get("/data/dataviews/" + EmptyDataViewID + "/metrics")
			if !bytes.HasPrefix(r.body, []byte(`{"content":[],`)) || !bytes.Contains(r.body, []byte(`"totalPages":0`)) {
				t.Fatalf("empty page: %s", r.body)
			}
			walk(t, a, "/data/dataviews/"+EmptyDataViewID+"/dimensions", "", style)

			// Past the end: an empty last page, never an error.
			var p page
			mustDecode(t, a.get(base+"/metrics?page=999999999999").body, &p)
			if len(p.Content) != 0 || *p.NumberOfElements != 0 {
				t.Fatalf("page past the end has %d items", len(p.Content))
			}
		})
	}
}

func TestPageSizeOption(t *testing.T) {
	a := newAPI(t, Options{PageSize: 7})
	a.login()
	var p page
	mustDecode(t, a.get("/data/dataviews/"+ProductionDataViewID+"/dimensions").body, &p)
	if *p.Size != 7 || len(p.Content) != 7 {
		t.Fatalf("size %d, %d items; want 7", *p.Size, len(p.Content))
	}
	mustDecode(t, a.get("/data/dataviews?limit=2").body, &p)
	if *p.Size != 2 || len(p.Content) != 2 {
		t.Fatalf("limit=2: size %d, %d items", *p.Size, len(p.Content))
	}
	for _, q := range []string{"limit=0", "limit=-1", "limit=ten", "page=-1", "page=x"} {
		expectCode(t, a.get("/data/dataviews?"+q), 400, "invalid_parameter")
	}
}

func TestHiddenFiltering(t *testing.T) {
	a := newAPI(t, Options{PageSize: 1000})
	a.login()
	for _, id := range a.s.DataViewIDs() {
		f, _ := a.s.Fixture(id)
		for _, c := range []struct {
			kind          string
			total, hidden int
		}{{"metrics", f.Metrics, f.HiddenMetrics}, {"dimensions", f.Dimensions, f.HiddenDimensions}} {
			path := "/data/dataviews/" + id + "/" + c.kind
			visible := walk(t, a, path, "", EnvelopeSpring)
			everything := walk(t, a, path, "includeType=hidden", EnvelopeSpring)
			also := walk(t, a, path, "includeType=deleted,hidden", EnvelopeSpring)
			if len(visible) != c.total-c.hidden || len(everything) != c.total || len(also) != c.total {
				t.Fatalf("%s %s: %d visible, %d with hidden (%d), want %d and %d",
					id, c.kind, len(visible), len(everything), len(also), c.total-c.hidden, c.total)
			}
			for _, comp := range visible {
				if comp.Hidden != false {
					t.Fatalf("%s %s: component %s served without includeType=hidden has hidden=%v", id, c.kind, comp.ID, comp.Hidden)
				}
			}
		}
	}
}

func TestNotFoundAndForbidden(t *testing.T) {
	a := newAPI(t, Options{})
	a.login()
	for _, sub := range []string{"", "/metrics", "/dimensions"} {
		expectCode(t, a.get("/data/dataviews/"+MissingDataViewID+sub), 404, "resource_not_found")
		expectCode(t, a.get("/data/dataviews/"+ForbiddenDataViewID+sub), 403, "insufficient_access")
	}
	expectCode(t, a.get("/data/dataviews/"+ProductionDataViewID+"/segments"), 404, "resource_not_found")
	expectCode(t, a.get("/data/nothing"), 404, "resource_not_found")
	req, _ := http.NewRequest(http.MethodDelete, DemoCJAURL+"/data/dataviews/"+ProductionDataViewID, nil)
	expectCode(t, a.do(req), 405, "method_not_allowed")
	if slices.Contains(a.s.DataViewIDs(), ForbiddenDataViewID) {
		t.Error("the forbidden data view is listed")
	}
}

func TestRateLimit(t *testing.T) {
	for _, retryAfter := range []bool{false, true} {
		t.Run(fmt.Sprint("RetryAfter=", retryAfter), func(t *testing.T) {
			clk := newClock()
			a := newAPI(t, Options{RateLimit: 2, RatePer: 6 * time.Second, RetryAfter: retryAfter, Now: clk.Now})
			a.login()
			a.login() // IMS is not rate limited
			expect(t, a.get("/data/dataviews"), 200, "")
			clk.Advance(1500 * time.Millisecond)
			expect(t, a.get("/data/dataviews"), 200, "")
			r := a.get("/data/dataviews")
			expect(t, r, 429, gatewayThrottled)
			// The oldest request leaves the window 4.5 s from now: round up.
			if got, want := r.header.Get("Retry-After"), map[bool]string{true: "5"}[retryAfter]; got != want {
				t.Fatalf("Retry-After %q, want %q", got, want)
			}
			clk.Advance(4500 * time.Millisecond)
			expect(t, a.get("/data/dataviews"), 200, "")
			if st := a.s.Stats(); st.Throttled != 1 || st.ByStatus[429] != 1 || st.Requests.List != 4 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestFaultConstructors(t *testing.T) {
	req := func(path string) *http.Request { return httptest.NewRequest("GET", path, nil) }
	f := Fault{Status: 503}
	pattern := func(ff FaultFunc, paths ...string) string {
		var b strings.Builder
		for i, p := range paths {
			if ff(req(p), int64(i+1)) != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	p := func(n int) []string { return slices.Repeat([]string{"/m"}, n) }

	cases := []struct {
		name string
		ff   FaultFunc
		in   []string
		want string
	}{
		{"FailFirst", FailFirst(2, f), p(5), "xx..."},
		{"FailFirst0", FailFirst(0, f), p(3), "..."},
		{"Every", Every(3, f), p(7), "..x..x."},
		{"Every0", Every(0, f), p(3), "..."},
		{"Always", Always(f), p(2), "xx"},
		{"OnSeq", OnSeq(f, 2, 4), p(5), ".x.x."},
		{"OnPath counts only its paths", OnPath("/metrics", FailFirst(1, f)),
			[]string{"/dimensions", "/a/metrics", "/a/metrics", "/ims"}, ".x.."},
		{"Chain", Chain(OnPath("/a", Always(f)), OnPath("/b", FailFirst(1, f))),
			[]string{"/a", "/b", "/b", "/c"}, "xx.."},
	}
	for _, c := range cases {
		if got := pattern(c.ff, c.in...); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}

	r1, r2 := Random(0.3, 42, f), Random(0.3, 42, f)
	hits := 0
	for seq := int64(1); seq <= 2000; seq++ {
		a, b := r1(req("/"), seq) != nil, r2(req("/"), seq) != nil
		if a != b {
			t.Fatal("Random is not deterministic")
		}
		if a {
			hits++
		}
	}
	if hits < 450 || hits > 750 {
		t.Errorf("Random(0.3) hit %d of 2000", hits)
	}
}

func TestFaultsEndToEnd(t *testing.T) {
	a := newAPI(t, Options{Faults: Chain(
		OnPath("/metrics", FailFirst(2, FaultThrottled)),
		OnPath("/dimensions", FailFirst(1, Fault{Status: 503, Header: http.Header{"Retry-After": {"1"}}})),
		OnPath(UnsafeNameDataViewID, FailFirst(1, Fault{Delay: time.Millisecond})),
		OnPath(MessyDataViewID, Always(FaultNotJSON)),
		OnPath(EmptyDataViewID, Always(FaultErrorIn200)),
	)})
	a.login()
	m := "/data/dataviews/" + ProductionDataViewID + "/metrics"
	expect(t, a.get(m), 429, gatewayThrottled)
	expect(t, a.get(m), 429, gatewayThrottled)
	expect(t, a.get(m), 200, "")
	r := a.get("/data/dataviews/" + ProductionDataViewID + "/dimensions")
	expect(t, r, 503, `{"statusCode":503,"message":"backend timeout"}`)
	if r.header.Get("Retry-After") != "1" {
		t.Error("fault header not sent")
	}
	expect(t, a.get("/data/dataviews/"+UnsafeNameDataViewID), 200, "") // delay only, then normal
	r = a.get("/data/dataviews/" + MessyDataViewID)
	if r.status != 200 || r.header.Get("Content-Type") != "text/html" || json.Valid(r.body) {
		t.Fatalf("not-JSON fault: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	expectCode(t, a.get("/data/dataviews/"+EmptyDataViewID), 200, "unexpected_error")
	st := a.s.Stats()
	if st.Faults != 6 || st.Throttled != 2 || st.ByStatus[503] != 1 {
		t.Fatalf("stats: faults %d, throttled %d, 503s %d", st.Faults, st.Throttled, st.ByStatus[503])
	}
}

func TestResetInMemory(t *testing.T) {
	s := New(Options{Faults: FailFirst(1, FaultReset)})
	resp, err := s.Client().Get(DemoCJAURL + "/data/dataviews")
	if err == nil {
		resp.Body.Close()
		t.Fatal("want a connection reset")
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("error %v does not wrap ECONNRESET", err)
	}
	resp, err = s.Client().Get(DemoCJAURL + "/data/dataviews")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 { // served normally: no token
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestOverHTTP(t *testing.T) {
	s := New(Options{Faults: OnPath("/dimensions", FailFirst(1, FaultReset))})
	ts := httptest.NewServer(s)
	defer ts.Close()
	a := &api{t: t, s: s, hc: ts.Client(), base: ts.URL}

	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/ims/token/v3", strings.NewReader(demoForm().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	mustDecode(t, a.do(req).body, &tok)
	a.token = tok.AccessToken

	f, _ := s.Fixture(ProductionDataViewID)
	if n := len(walk(t, a, "/data/dataviews/"+ProductionDataViewID+"/metrics", "includeType=hidden", EnvelopeSpring)); n != f.Metrics {
		t.Fatalf("%d metrics over HTTP, want %d", n, f.Metrics)
	}
	// A fresh connection: net/http silently retries an idempotent request
	// whose reused keep-alive connection was reset, hiding the fault.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	dreq, _ := http.NewRequest(http.MethodGet, ts.URL+"/data/dataviews/"+ProductionDataViewID+"/dimensions", nil)
	resp, err := fresh.Do(dreq)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("reset fault answered %d", resp.StatusCode)
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Logf("reset surfaced as %v", err) // platform dependent; any error will do
	}
}

func TestContextCancellation(t *testing.T) {
	cases := map[string]Options{
		"latency": {Latency: time.Hour},
		"hang":    {Faults: Always(FaultHang)},
		"delay":   {Faults: Always(Fault{Delay: time.Hour, Status: 500})},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			a := newAPI(t, opts)
			if opts.Latency > 0 {
				a.login()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, DemoCJAURL+"/data/dataviews", nil)
			req.Header.Set("Authorization", "Bearer "+a.token)
			req.Header.Set("x-api-key", DemoCredentials().ClientID)
			req.Header.Set("x-gw-ims-org-id", DemoCredentials().OrgID)
			resp, err := a.hc.Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("answered %d after the context ended", resp.StatusCode)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error %v, want deadline exceeded", err)
			}
			if st := a.s.Stats(); st.InFlight != 0 {
				t.Fatalf("%d requests still in flight", st.InFlight)
			}
		})
	}
	// An already-cancelled context never reaches the handler.
	s := New(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, DemoCJAURL+"/data/dataviews", nil)
	if _, err := s.Client().Do(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want canceled", err)
	}
}

func TestStatsAndInFlight(t *testing.T) {
	// The fault func parks requests until released, so they are provably
	// in flight at the same time; no timing is involved.
	arrived := make(chan struct{})
	release := make(chan struct{})
	park := func(r *http.Request, _ int64) *Fault {
		if r.URL.Query().Get("park") != "" {
			arrived <- struct{}{}
			<-release
		}
		return nil
	}
	a := newAPI(t, Options{Faults: park})
	a.login()
	expect(t, a.get("/data/dataviews"), 200, "")

	dvs := a.s.DataViewIDs()
	paths := []string{
		"/data/dataviews/" + dvs[0] + "/metrics?park=1",
		"/data/dataviews/" + dvs[0] + "/dimensions?park=1",
		"/data/dataviews/" + dvs[1] + "?park=1",
		"/data/dataviews/" + dvs[2] + "/dimensions?park=1",
	}
	var wg sync.WaitGroup
	for _, p := range paths {
		req, _ := http.NewRequest(http.MethodGet, DemoCJAURL+p, nil)
		req.Header.Set("Authorization", "Bearer "+a.token)
		req.Header.Set("x-api-key", DemoCredentials().ClientID)
		req.Header.Set("x-gw-ims-org-id", DemoCredentials().OrgID)
		wg.Go(func() {
			resp, err := a.hc.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("%s: %d", p, resp.StatusCode)
			}
		})
	}
	for range paths {
		<-arrived
	}
	st := a.s.Stats()
	if st.InFlight != 4 || len(st.InFlightByDataView) != 3 || st.InFlightByDataView[dvs[0]] != 2 {
		t.Fatalf("in flight %d, by data view %v", st.InFlight, st.InFlightByDataView)
	}
	close(release)
	wg.Wait()

	st = a.s.Stats()
	want := RequestCounts{Token: 1, List: 1, DataView: 1, Metrics: 1, Dimensions: 2}
	if st.Requests != want || st.Requests.Total() != 6 || st.Requests.CJA() != 5 {
		t.Fatalf("requests %+v, want %+v", st.Requests, want)
	}
	if st.MaxInFlight != 4 || st.MaxDataViewsInFlight != 3 || st.InFlight != 0 || len(st.InFlightByDataView) != 0 {
		t.Fatalf("max in flight %d, max data views %d, now %d %v",
			st.MaxInFlight, st.MaxDataViewsInFlight, st.InFlight, st.InFlightByDataView)
	}
	if st.RequestsByDataView[dvs[0]] != 2 || st.TokensIssued != 1 || st.ByStatus[200] != 6 {
		t.Fatalf("by data view %v, tokens %d, statuses %v", st.RequestsByDataView, st.TokensIssued, st.ByStatus)
	}

	a.s.ResetStats()
	st = a.s.Stats()
	if st.Requests.Total() != 0 || st.MaxInFlight != 0 || len(st.ByStatus) != 0 || len(st.RequestsByDataView) != 0 {
		t.Fatalf("after reset: %+v", st)
	}
}

func TestDeterminism(t *testing.T) {
	run := func() [][]byte {
		a := newAPI(t, Options{Synthetic: 3, PageSize: 50})
		var out [][]byte
		out = append(out, a.tokenRequest(demoForm(), "").body)
		a.login()
		for _, p := range []string{"/data/dataviews?limit=4&page=2", "/data/dataviews/" + MissingDataViewID,
			"/data/dataviews/" + ForbiddenDataViewID + "/metrics", "/data/dataviews/dv_synth00002/dimensions?includeType=hidden"} {
			out = append(out, a.get(p).body)
		}
		for _, id := range a.s.DataViewIDs() {
			out = append(out, a.get("/data/dataviews/"+id).body)
			out = append(out, a.get("/data/dataviews/"+id+"/metrics?includeType=hidden&page=1").body)
			out = append(out, a.get("/data/dataviews/"+id+"/dimensions").body)
		}
		return out
	}
	first, second := run(), run()
	for i := range first {
		if !bytes.Equal(first[i], second[i]) {
			t.Fatalf("response %d differs:\n%s\n%s", i, first[i], second[i])
		}
	}
	// The fixtures are cached per process, so the bodies above would match
	// even if generation were random: generate every view twice afresh.
	for _, sp := range append(fixtureSpecs, synthSpec(1)) {
		a, b := newView(sp), newView(sp)
		if !bytes.Equal(a.object(), b.object()) {
			t.Fatalf("%s: data view differs between generations", sp.id)
		}
		for i, c := range append(a.metrics(), a.dimensions()...) {
			if d := append(b.metrics(), b.dimensions()...)[i]; !bytes.Equal(c.raw, d.raw) || c.hidden != d.hidden {
				t.Fatalf("%s: component %d differs between generations", sp.id, i)
			}
		}
	}
	// Synthetic views do not depend on how many there are.
	a, b := New(Options{Synthetic: 2}), New(Options{Synthetic: 200})
	if !bytes.Equal(a.lookup("dv_synth00002").object(), b.lookup("dv_synth00002").object()) {
		t.Fatal("dv_synth00002 depends on Synthetic")
	}
}

func TestCatalogue(t *testing.T) {
	s := New(Options{})
	hexID := regexp.MustCompile(`^dv_[0-9a-f]{24}$`)
	anyID := regexp.MustCompile(`^dv_[A-Za-z0-9_-]+$`)
	for _, id := range []string{ForbiddenDataViewID, MissingDataViewID} {
		if !anyID.MatchString(id) || len(id) != 27 {
			t.Errorf("%s is not a dv_ id of real length", id)
		}
	}
	if _, ok := s.Fixture(MissingDataViewID); ok {
		t.Error("MissingDataViewID exists")
	}

	var (
		names, descShapes, seen = map[string]bool{}, map[string]bool{}, map[string]bool{}
		empty, formula, derived = 0, 0, 0
		extra, dupViews, total  = 0, 0, 0
	)
	known := map[string]bool{}
	for _, k := range strings.Split("id name description type sourceFieldId sourceFieldName sourceFieldType storageId dataSetIds dataSetType schemaType schemaPath tableName baseTableName required hideFromReporting hidden hasData segmentable favorite approved fromGlobalLookup multiValued derivedFieldCompatible tags labels usageSummary includeExcludeSetting fieldDefinition bucketingSetting noValueOptionsSetting defaultDimensionSort persistenceSetting countType formatSetting attributionSetting precision", " ") {
		known[k] = true
	}
	for _, id := range s.DataViewIDs() {
		if !hexID.MatchString(id) {
			t.Errorf("fixture id %s is not dv_ + 24 hex", id)
		}
		f, _ := s.Fixture(id)
		names[f.Name] = true
		size := f.Metrics + f.Dimensions
		total += size
		if size == 0 {
			empty++
		} else if size < 20 || size > 5000 {
			t.Errorf("%s has %d components", id, size)
		}
		v := s.lookup(id)
		var dv map[string]any
		mustDecode(t, v.object(), &dv)
		for _, k := range []string{"id", "name", "description", "owner", "isDeleted", "parentDataGroupId", "currentTimezoneOffset",
			"timezoneDesignator", "modifiedDate", "createdDate", "organization", "sessionDefinition", "containerNames"} {
			if _, ok := dv[k]; !ok {
				t.Errorf("%s lacks %s", id, k)
			}
		}
		owner := dv["owner"].(map[string]any)
		if (owner["name"] == nil) != (id == NullOwnerDataViewID) {
			t.Errorf("%s owner.name = %v", id, owner["name"])
		}

		dup := false
		for _, list := range [][]component{v.metrics(), v.dimensions()} {
			byName := map[string]bool{}
			byID := map[string]bool{}
			for _, c := range list {
				var m map[string]any
				mustDecode(t, c.raw, &m)
				cid, name := m["id"].(string), m["name"].(string)
				if byID[cid] {
					t.Errorf("%s: duplicate id %s", id, cid)
				}
				byID[cid] = true
				dup = dup || byName[name]
				byName[name] = true
				if strings.HasPrefix(name, "=") {
					formula++
				}
				switch d, ok := m["description"]; {
				case !ok:
					descShapes["absent"] = true
				case d == nil:
					descShapes["null"] = true
				case d == "" || d == "n/a":
					descShapes[d.(string)] = true
				default:
					descShapes["text"] = true
				}
				if m["sourceFieldType"] == "derived" {
					derived++
					fd, _ := m["fieldDefinition"].([]any)
					if m["schemaPath"] != "Derived Fields" || m["dataSetType"] != nil || len(fd) == 0 ||
						!regexp.MustCompile(`^(metrics|variables)/[0-9a-f]{24}$`).MatchString(cid) {
						t.Errorf("derived component %s is not shaped like a live one: %s", cid, c.raw)
					}
				}
				for k := range m {
					if !known[k] {
						extra++
						break
					}
				}
				seen[m["type"].(string)] = true
			}
		}
		if dup {
			dupViews++
		}
	}
	if !names[`Web / App: "Checkout" <Q4>`] || !names["Production Analytics"] || !names["Mobile App - EMEA"] {
		t.Errorf("names: %v", names)
	}
	for _, shape := range []string{"absent", "null", "", "n/a", "text"} {
		if !descShapes[shape] {
			t.Errorf("no description shaped %q", shape)
		}
	}
	for _, typ := range []string{"int", "decimal", "string", "time", "ordered-enum"} {
		if !seen[typ] {
			t.Errorf("no component of type %s", typ)
		}
	}
	if empty != 1 || formula == 0 || derived == 0 || extra == 0 || dupViews < 3 {
		t.Errorf("empty %d, formula names %d, derived %d, extra fields %d, views with duplicate names %d",
			empty, formula, derived, extra, dupViews)
	}
	t.Logf("%d data views, %d components", len(names), total)
}

func TestSynthetic(t *testing.T) {
	a := newAPI(t, Options{Synthetic: 3})
	a.login()
	got := a.s.DataViewIDs()
	if !slices.Equal(got[len(got)-3:], []string{"dv_synth00001", "dv_synth00002", "dv_synth00003"}) {
		t.Fatalf("ids %v", got)
	}
	for _, id := range got[len(got)-3:] {
		f, _ := a.s.Fixture(id)
		if n := f.Metrics + f.Dimensions; n < 20 || n > 60 {
			t.Errorf("%s has %d components", id, n)
		}
		if n := len(walk(t, a, "/data/dataviews/"+id+"/dimensions", "includeType=hidden", EnvelopeSpring)); n != f.Dimensions {
			t.Errorf("%s: %d dimensions, want %d", id, n, f.Dimensions)
		}
	}
	for _, id := range []string{"dv_synth00004", "dv_synth00000", "dv_synth1", "dv_synth000001"} {
		expectCode(t, a.get("/data/dataviews/"+id), 404, "resource_not_found")
	}
}

func TestNewRejectsUnknownEnvelope(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	New(Options{Envelope: "hal"})
}

// ExampleNew serves the sample organisation over real HTTP, as tests of
// other packages do; --demo uses s.Client() instead, with no sockets.
func ExampleNew() {
	s := New(Options{})
	ts := httptest.NewServer(s)
	defer ts.Close()

	c := DemoCredentials()
	resp, _ := http.PostForm(ts.URL+"/ims/token/v3", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {c.ClientID},
		"client_secret": {c.Secret}, "scope": {c.Scopes},
	})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	req, _ := http.NewRequest("GET", ts.URL+"/data/dataviews/"+ProductionDataViewID, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("x-api-key", c.ClientID)
	req.Header.Set("x-gw-ims-org-id", c.OrgID)
	resp, _ = http.DefaultClient.Do(req)
	var dv struct{ Name string }
	json.NewDecoder(resp.Body).Decode(&dv)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, dv.Name)
	// Output: 200 Production Analytics
}
