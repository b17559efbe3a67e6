package cja

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/ratelimit"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultIMSURL         = "https://ims-na1.adobelogin.com"
	DefaultCJAURL         = "https://cja.adobe.io"
	DefaultScopes         = "openid,AdobeID,additional_info.projectedProductContext"
	DefaultRateLimit      = 12 // CJA allows 12 requests per 6 s per user
	DefaultRatePer        = 6 * time.Second
	DefaultRequestTimeout = 60 * time.Second // the API gateway's own time-out
	DefaultMaxRetries     = 5
	DefaultBaseBackoff    = time.Second
	DefaultMaxBackoff     = 30 * time.Second
	DefaultMaxRetryAfter  = 60 * time.Second
	DefaultPageSize       = 100
	DefaultMaxPages       = 1000
)

// Config says how a Client reaches and uses the CJA API. Only OrgID, ClientID
// and Secret are required; every zero field gets its Default value.
type Config struct {
	// OrgID is the IMS organisation, like "ABC123@AdobeOrg".
	OrgID string
	// ClientID is the OAuth Server-to-Server client ID (also the x-api-key).
	ClientID string
	// Secret is the OAuth client secret. It is only ever sent in the body
	// of the IMS token request and never appears in errors or logs.
	Secret string
	// Scopes is a comma-separated scope list; spaces around items are dropped.
	Scopes string

	// IMSURL and CJAURL are the base URLs (regional IMS hosts, tests).
	IMSURL string
	CJAURL string
	// HTTPClient sends every request. Its own Timeout should be zero (or
	// large): RequestTimeout bounds each attempt instead.
	HTTPClient *http.Client

	// RateLimit requests per RatePer, client side; negative = unlimited.
	RateLimit int
	RatePer   time.Duration
	// Limiter, when set, replaces RateLimit/RatePer so several Clients (or
	// processes' workers) can share one budget.
	Limiter *ratelimit.Window

	// RequestTimeout bounds one HTTP attempt (connect, headers and body).
	RequestTimeout time.Duration
	// MaxRetries is how many times a failed request is retried; negative = never.
	MaxRetries int
	// BaseBackoff and MaxBackoff shape the exponential backoff with full
	// jitter: attempt n waits rand[0, min(MaxBackoff, BaseBackoff*2^n)].
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// MaxRetryAfter caps a server's Retry-After so a bogus value cannot
	// stall a run for hours.
	MaxRetryAfter time.Duration

	// PageSize is the page size of the data view listing. Metrics and
	// dimensions always ask for 1000 per page.
	PageSize int
	// MaxPages caps the pages read from one endpoint, so an API that never
	// reports its last page fails instead of looping forever.
	MaxPages int

	// Logger receives request and retry logs; nil discards them.
	Logger *slog.Logger
	// Sleep waits between retries; tests replace it to record and skip waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now reads the clock for token expiry and Retry-After dates.
	Now func() time.Time
}

// withDefaults validates c and returns a copy with every default applied.
func (c Config) withDefaults() (Config, error) {
	c.OrgID = strings.TrimSpace(c.OrgID)
	c.ClientID = strings.TrimSpace(c.ClientID)
	c.Secret = strings.TrimSpace(c.Secret)
	var missing []string
	for _, f := range []struct{ name, v string }{{"org ID", c.OrgID}, {"client ID", c.ClientID}, {"client secret", c.Secret}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("missing %s (set them from the OAuth Server-to-Server credential in the Adobe Developer Console)",
			strings.Join(missing, ", "))
	}

	c.Scopes = normaliseScopes(c.Scopes)
	if c.Scopes == "" {
		c.Scopes = DefaultScopes
	}
	var err error
	if c.IMSURL, err = baseURL("IMS", c.IMSURL, DefaultIMSURL); err != nil {
		return c, err
	}
	if c.CJAURL, err = baseURL("CJA", c.CJAURL, DefaultCJAURL); err != nil {
		return c, err
	}
	if c.HTTPClient == nil {
		// The default transport keeps only 2 idle connections per host,
		// which makes a pool of workers reconnect all the time.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		c.HTTPClient = &http.Client{Transport: t}
	}
	if c.Limiter == nil && c.RateLimit >= 0 {
		limit, per := c.RateLimit, c.RatePer
		if limit == 0 {
			limit = DefaultRateLimit
		}
		if per <= 0 {
			per = DefaultRatePer
		}
		c.Limiter = ratelimit.New(limit, per)
	}
	setDefault(&c.RequestTimeout, DefaultRequestTimeout)
	setDefault(&c.BaseBackoff, DefaultBaseBackoff)
	setDefault(&c.MaxBackoff, DefaultMaxBackoff)
	setDefault(&c.MaxRetryAfter, DefaultMaxRetryAfter)
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	setDefault(&c.PageSize, DefaultPageSize)
	setDefault(&c.MaxPages, DefaultMaxPages)
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// normaliseScopes turns "openid, AdobeID" into "openid,AdobeID": IMS wants
// the list without spaces, and people copy it from the console with them.
func normaliseScopes(s string) string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ",")
}

func baseURL(name, v, def string) (string, error) {
	if v = strings.TrimSpace(v); v == "" {
		v = def
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s URL %q is not an http(s) URL", name, v)
	}
	return strings.TrimRight(v, "/"), nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
