// Package sampleorg is the built-in sample organisation: an in-process
// simulator of Adobe IMS (OAuth Server-to-Server tokens) and the four CJA data
// view endpoints an SDR needs, with a deterministic catalogue of data views.
//
// It backs the command's --demo mode (no credentials, no network), the tests
// of every other package and the benchmarks. It behaves like the live API as
// described in docs/CJA_API.md: the same envelopes, error bodies, header
// checks and throttling, plus knobs (latency, rate limit, envelope style,
// injected faults) so clients can be tested against each variant.
//
// Two ways to use it:
//
//	s := sampleorg.New(sampleorg.Options{})
//	hc := s.Client() // in-memory: no sockets, the host of the URL is ignored
//
//	ts := httptest.NewServer(s) // real HTTP, for tests that need sockets
//	defer ts.Close()
package sampleorg

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/ratelimit"
)

// Base URLs for --demo mode. The in-memory transport ignores the host, and
// ".invalid" guarantees that a misrouted request can never reach a real host.
const (
	DemoIMSURL = "https://ims.sample-org.invalid"
	DemoCJAURL = "https://cja.sample-org.invalid"
)

// Envelope styles of paged responses (Options.Envelope). The docs show
// firstPage/lastPage and the swagger shows Spring's first/last/empty; which
// one the live API sends is unconfirmed, so clients are tested against both.
const (
	EnvelopeSpring = "spring" // firstPage, lastPage (as in Adobe's docs)
	EnvelopeLast   = "last"   // first, last, empty (as in the swagger)
)

// Options tune the simulator. The zero value is a fast, unthrottled, healthy
// organisation.
type Options struct {
	// Latency is added to each CJA request that passes the auth and rate
	// checks (429s and auth errors answer at once, like a gateway). The wait
	// ends early when the request's context ends.
	Latency time.Duration
	// RateLimit is how many CJA requests one client ID may make in any
	// window of RatePer; more are answered 429. 0 turns the limit off.
	RateLimit int
	// RatePer is the rate limit window; 0 means 6 s, CJA's own window.
	RatePer time.Duration
	// RetryAfter adds a Retry-After header (whole seconds, rounded up) to
	// rate-limit 429s. Off by default because the live API may not send it.
	RetryAfter bool
	// PageSize is the default page size of the paged endpoints (default 100).
	// A request's limit parameter overrides it, up to 1000.
	PageSize int
	// Envelope is EnvelopeSpring (default) or EnvelopeLast.
	Envelope string
	// TokenTTL is the lifetime of IMS tokens (default 24 h). expires_in
	// reports it in whole seconds; tests use short TTLs with Now.
	TokenTTL time.Duration
	// Synthetic adds that many small generated data views (dv_synth00001,
	// dv_synth00002, ...) after the fixtures, for load tests and benchmarks.
	Synthetic int
	// Faults, if set, is consulted before normal handling of every request.
	Faults FaultFunc
	// Now is the clock for token expiry and the rate limit (default time.Now).
	Now func() time.Time
}

// Credentials are what a client needs to talk to the sample organisation.
type Credentials struct {
	OrgID    string
	ClientID string
	Secret   string
	// Scopes is comma-separated, as IMS expects it.
	Scopes string
}

// DemoCredentials returns the only credentials the simulator accepts. They are
// fake and public; tests still use them to check that secrets never leak.
func DemoCredentials() Credentials {
	return Credentials{
		OrgID:    "5A3P1E0RG0000000000000DE@AdobeOrg",
		ClientID: "5a3p1e0c11e47d0000000000000de4c0",
		Secret:   "p8e-SAMPLE-demo-secret-NOT-A-REAL-SECRET",
		Scopes:   "openid,AdobeID,additional_info.projectedProductContext",
	}
}

// acceptedScopes are the scopes IMS grants the demo client. The optional ones
// are requested by some real orgs, so configs carrying them must still work.
var acceptedScopes = map[string]bool{
	"openid": true, "AdobeID": true, "additional_info.projectedProductContext": true,
	"read_organizations": true, "additional_info.job_function": true,
}

// Server is the simulated organisation. It is an http.Handler serving both
// the IMS and the CJA paths, so one httptest.Server (or Client) covers both.
// It is safe for concurrent use.
type Server struct {
	opts  Options
	creds Credentials
	seq   atomic.Int64 // global request number, for FaultFunc

	mu       sync.Mutex
	tokens   map[string]time.Time // access token -> expiry
	issued   int64                // tokens ever issued; numbers the next token
	limiters map[string]*ratelimit.Window
	stats    Stats
	inFlight map[string]int // data view id -> outstanding requests

	// synth keeps recently used synthetic views, so a benchmark's CPU is not
	// spent rebuilding the same components on every request (Adobe's servers
	// do that work in real life, not ours). Bounded, so a huge Synthetic
	// still costs little memory.
	synthMu sync.Mutex
	synth   map[int]*view
}

// maxCachedSynth bounds the synthetic views kept built.
const maxCachedSynth = 1024

// New returns a simulator with opts applied. It panics on an unknown
// Envelope, which is a bug in the caller's test setup, not a runtime failure.
func New(opts Options) *Server {
	if opts.PageSize <= 0 {
		opts.PageSize = 100
	}
	switch opts.Envelope {
	case "":
		opts.Envelope = EnvelopeSpring
	case EnvelopeSpring, EnvelopeLast:
	default:
		panic(fmt.Sprintf("sampleorg: unknown Envelope %q (want %q or %q)", opts.Envelope, EnvelopeSpring, EnvelopeLast))
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 24 * time.Hour
	}
	if opts.RatePer <= 0 {
		opts.RatePer = 6 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:     opts,
		creds:    DemoCredentials(),
		tokens:   map[string]time.Time{},
		limiters: map[string]*ratelimit.Window{},
		inFlight: map[string]int{},
	}
	s.stats = newStats()
	return s
}

// Client returns an HTTP client served in-process by s: no sockets, any host.
// This is what --demo uses.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: s.Transport()}
}

// DataViewIDs lists the data views the demo credentials can see, in catalogue
// order (fixtures, then synthetic ones); the list endpoint returns the same.
// ForbiddenDataViewID exists but is not listed.
func (s *Server) DataViewIDs() []string {
	ids := make([]string, 0, s.listTotal())
	for _, v := range listedFixtures() {
		ids = append(ids, v.spec.id)
	}
	for n := 1; n <= s.opts.Synthetic; n++ {
		ids = append(ids, synthID(n))
	}
	return ids
}

// Fixture describes one data view of the catalogue, so tests know what a
// complete fetch should return. Counts include hidden components.
type Fixture struct {
	ID, Name                        string
	Metrics, Dimensions             int
	HiddenMetrics, HiddenDimensions int
}

// Fixture describes the data view id, generating its components if needed.
func (s *Server) Fixture(id string) (Fixture, bool) {
	v := s.lookup(id)
	if v == nil {
		return Fixture{}, false
	}
	f := Fixture{ID: v.spec.id, Name: v.spec.name}
	for _, c := range v.metrics() {
		f.Metrics++
		if c.hidden {
			f.HiddenMetrics++
		}
	}
	for _, c := range v.dimensions() {
		f.Dimensions++
		if c.hidden {
			f.HiddenDimensions++
		}
	}
	return f, true
}

// lookup finds a data view (forbidden included), or nil.
func (s *Server) lookup(id string) *view {
	for _, v := range fixtures() {
		if v.spec.id == id {
			return v
		}
	}
	if n, ok := parseSynthID(id); ok && n <= s.opts.Synthetic {
		s.synthMu.Lock()
		defer s.synthMu.Unlock()
		if v, ok := s.synth[n]; ok {
			return v
		}
		v := newView(synthSpec(n))
		if s.synth == nil {
			s.synth = map[int]*view{}
		}
		if len(s.synth) < maxCachedSynth {
			s.synth[n] = v
		}
		return v
	}
	return nil
}
