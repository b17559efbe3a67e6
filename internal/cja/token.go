package cja

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	opToken = "get IMS token"
	// refreshMargin is how long before expiry a token is replaced, so a
	// request never leaves with a token that expires on the way.
	refreshMargin = 5 * time.Minute
	// fallbackTTL is assumed when IMS gives no expires_in; a 401 still
	// triggers a refresh if it was too optimistic.
	fallbackTTL = time.Hour
)

// tokenSource holds the one IMS access token a Client shares among all its
// goroutines, fetched by one caller while the others wait for it.
type tokenSource struct {
	mu      sync.Mutex
	token   string
	renewAt time.Time
	flight  *tokenFlight // the fetch in progress, if any
	issued  []string     // every token handed out, so errors can redact them
}

// tokenFlight is one IMS fetch that concurrent callers wait on.
type tokenFlight struct {
	done  chan struct{}
	token string
	err   error
}

// token returns a valid access token, fetching one if needed. Concurrent
// callers share a single fetch.
func (c *Client) token(ctx context.Context) (string, error) {
	t := &c.tokens
	for {
		t.mu.Lock()
		if t.token != "" && c.cfg.Now().Before(t.renewAt) {
			tok := t.token
			t.mu.Unlock()
			return tok, nil
		}
		if f := t.flight; f != nil {
			t.mu.Unlock()
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("%s: %w", opToken, ctx.Err())
			case <-f.done:
			}
			if f.err != nil && leaderCancelled(f.err) && ctx.Err() == nil {
				continue // the fetching caller gave up, not IMS: fetch ourselves
			}
			return f.token, f.err
		}
		f := &tokenFlight{done: make(chan struct{})}
		t.flight = f
		t.mu.Unlock()

		start := c.cfg.Now()
		tok, ttl, err := c.fetchToken(ctx)

		t.mu.Lock()
		t.flight = nil
		if err == nil {
			margin := min(refreshMargin, ttl/2) // short-lived tokens still get used
			t.token, t.renewAt = tok, start.Add(ttl-margin)
			t.issued = append(t.issued, tok)
		}
		t.mu.Unlock()
		f.token, f.err = tok, err
		close(f.done)
		return tok, err
	}
}

// leaderCancelled reports an error that is the fetching caller's own
// context ending (every IMS failure is an *Error instead).
func leaderCancelled(err error) bool {
	var e *Error
	return !errors.As(err, &e) && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// invalidate drops tok after the API refused it, unless another goroutine
// has already replaced it: many workers hitting 401 at once refresh once.
func (c *Client) invalidate(tok string) {
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	if c.tokens.token == tok {
		c.tokens.token = ""
	}
}

// fetchToken asks IMS for a client-credentials token, retrying what may be
// transient (network, 429, 5xx). The secret travels in the form body only.
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	endpoint := c.cfg.IMSURL + "/ims/token/v3"
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.Secret},
		"scope":         {c.cfg.Scopes},
	}.Encode()
	newReq := func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		return req, nil
	}
	for attempt := 0; ; attempt++ {
		res, err := c.send(ctx, c.ims, newReq)
		if ctx.Err() != nil {
			return "", 0, fmt.Errorf("%s: %w", opToken, ctx.Err())
		}
		var f attemptFailure
		switch {
		case err != nil:
			f = c.networkFailure(opToken, "IMS at "+c.cfg.IMSURL, err)
			f.err.Hint = hintIMSNetwork
		case res.status == http.StatusOK:
			tok, ttl, e := parseToken(res.body)
			if e != nil {
				return "", 0, c.finish(e)
			}
			c.cfg.Logger.Debug("cja: got IMS token", "expires_in", ttl)
			return tok, ttl, nil
		case retryableStatus(res.status):
			f = c.statusFailure(opToken, res)
		case res.status >= 300 && res.status < 400:
			return "", 0, c.finish(&Error{Kind: KindBadResponse, Status: res.status, Op: opToken,
				Message: "IMS answered with a redirect to " + res.header.Get("Location") + " (not followed: it would resend the client secret)",
				Hint:    "set ims_url (or CJA_IMS_URL) to the IMS host itself"})
		default:
			// IMS answers 400/401 for invalid_client, invalid_scope...:
			// the credentials are wrong and retrying will not fix them.
			return "", 0, c.finish(imsRejected(res))
		}
		if !f.retry || attempt >= c.cfg.MaxRetries {
			return "", 0, c.finish(gaveUp(f.err, attempt+1))
		}
		if err := c.pause(ctx, opToken, attempt, f); err != nil {
			return "", 0, fmt.Errorf("%s: %w", opToken, err)
		}
	}
}

// imsRejected is IMS refusing the credentials. It is KindUnauthorized, which
// the command and the generator present as the reference tool's "CJA
// initialization failed".
func imsRejected(res *response) *Error {
	ae := parseAPIError(res.body)
	msg := "IMS rejected the credentials"
	switch {
	case ae.Code != "" && ae.Message != "":
		msg += " (" + ae.Code + ": " + ae.Message + ")"
	case ae.Code != "" || ae.Message != "":
		msg += " (" + ae.Code + ae.Message + ")"
	}
	return &Error{Kind: KindUnauthorized, Status: res.status, Code: ae.Code, Op: opToken, Message: msg, Hint: hintIMS}
}

// parseToken reads IMS's {"access_token", "expires_in"} answer. expires_in is
// in seconds; some proxies send it as a string.
func parseToken(body []byte) (string, time.Duration, *Error) {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return "", 0, badResponse(opToken, http.StatusOK, "IMS answer is not JSON", nil)
	}
	tok, _ := m["access_token"].(string)
	if tok == "" {
		return "", 0, badResponse(opToken, http.StatusOK, "IMS answer has no access_token", body)
	}
	var secs float64
	switch v := m["expires_in"].(type) {
	case float64:
		secs = v
	case string:
		secs, _ = strconv.ParseFloat(v, 64)
	}
	if secs <= 0 {
		return tok, fallbackTTL, nil
	}
	secs = min(secs, 366*24*3600) // keeps the Duration from overflowing
	return tok, time.Duration(secs * float64(time.Second)), nil
}

// Authenticate gets the IMS token now, so that bad credentials or an
// unreachable IMS stop a run before any data view starts (one IMS request,
// no CJA request: the reference tool's connection-test listing is not needed).
func (c *Client) Authenticate(ctx context.Context) error {
	_, err := c.token(ctx)
	return err
}
