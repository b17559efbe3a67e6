package cja

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Client calls the CJA API. It is safe for concurrent use: all goroutines
// share one IMS token, one rate limiter and one connection pool.
type Client struct {
	cfg Config
	// ims sends the token request: cfg.HTTPClient without redirects, since
	// a 307/308 would replay the form, client secret included, to wherever
	// the redirect points.
	ims       *http.Client
	tokens    tokenSource
	requests  atomic.Int64
	throttled atomic.Int64
}

var _ Fetcher = (*Client)(nil)

// New checks cfg, fills in its defaults and returns a Client. It makes no
// request: the first call fetches the token, so a run that needs nothing
// from the API costs nothing.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ims := *cfg.HTTPClient
	ims.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{cfg: cfg, ims: &ims}, nil
}

// Requests is the number of CJA API requests made so far, retries included
// (IMS token requests are not counted).
func (c *Client) Requests() int64 { return c.requests.Load() }

// Throttled is the number of 429 answers received so far.
func (c *Client) Throttled() int64 { return c.throttled.Load() }

// get fetches one CJA URL: token, rate limit, retries with backoff, and one
// token refresh on 401. Every attempt is added to n (when not nil) so a
// fetch can report what it cost.
func (c *Client) get(ctx context.Context, op, rawURL string, n *atomic.Int64) (*response, error) {
	refreshed := false
	retries := 0
	for attempt := 1; ; attempt++ {
		tok, err := c.token(ctx)
		if err != nil {
			return nil, err
		}
		// The limiter comes after the token so the admitted slot is used
		// right away, not spent waiting on IMS. The slot counts from the
		// answer (answered below), never from the send alone.
		answered, err := c.cfg.Limiter.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		start := time.Now()
		res, err := c.send(ctx, c.cfg.HTTPClient, func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("x-api-key", c.cfg.ClientID)
			req.Header.Set("x-gw-ims-org-id", c.cfg.OrgID)
			req.Header.Set("Accept", "application/json")
			return req, nil
		})
		answered()
		c.requests.Add(1)
		if n != nil {
			n.Add(1)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", op, ctx.Err())
		}

		var f attemptFailure
		switch {
		case err != nil:
			f = c.networkFailure(op, c.cfg.CJAURL, err)
		case res.status >= 200 && res.status < 300:
			c.cfg.Logger.Debug("cja: request", "op", op, "url", rawURL, "status", res.status,
				"attempt", attempt, "took", time.Since(start))
			return res, nil
		case res.status == http.StatusUnauthorized && !refreshed:
			// The token may have been revoked or expired early: get a new
			// one once, without counting a retry or backing off.
			refreshed = true
			c.invalidate(tok)
			c.cfg.Logger.Info("cja: token refused, refreshing it", "op", op)
			continue
		default:
			f = c.statusFailure(op, res)
		}
		if !f.retry || retries >= c.cfg.MaxRetries {
			return nil, c.finish(gaveUp(f.err, attempt))
		}
		if err := c.pause(ctx, op, retries, f); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		retries++
	}
}

// finish redacts an error before it leaves the client. The secret and the
// tokens are never put in messages on purpose, but an API may echo what it
// was sent.
func (c *Client) finish(e *Error) *Error {
	e.Message = c.redact(e.Message)
	e.Code = c.redact(e.Code)
	return e
}

const redacted = "[REDACTED]"

// redact replaces the secret and every token this client obtained.
func (c *Client) redact(s string) string {
	s = strings.ReplaceAll(s, c.cfg.Secret, redacted)
	c.tokens.mu.Lock()
	issued := c.tokens.issued
	c.tokens.mu.Unlock()
	for _, t := range issued {
		s = strings.ReplaceAll(s, t, redacted)
	}
	return s
}
