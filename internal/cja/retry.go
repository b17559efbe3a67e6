package cja

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxBody caps how much of one answer is read. The largest real pages (1000
// components with every expansion) are a few MB; this only stops a broken
// server from filling memory.
const maxBody = 256 << 20

// response is one HTTP answer, read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

// send makes one HTTP attempt bounded by RequestTimeout. The body is read
// inside the attempt so that a server stalling mid-body also times out.
func (c *Client) send(ctx context.Context, hc *http.Client, newReq func(context.Context) (*http.Request, error)) (*response, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	req, err := newReq(actx)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("answer larger than %d MiB", maxBody>>20)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// attemptFailure is why one attempt failed and whether another may succeed.
type attemptFailure struct {
	err   *Error
	retry bool
	// after is the server's Retry-After (already capped); negative means
	// none was given and the backoff decides.
	after time.Duration
}

// networkFailure describes a transport error. Caller cancellation is
// checked before this, so a deadline here is the per-attempt time-out.
func (c *Client) networkFailure(op, where string, err error) attemptFailure {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error() // the URL is said once, below
	}
	if errors.Is(err, context.DeadlineExceeded) {
		msg = fmt.Sprintf("no answer within %s", c.cfg.RequestTimeout)
	}
	e := &Error{Kind: KindNetwork, Op: op, Message: fmt.Sprintf("cannot reach %s: %s", where, msg), Hint: hintNetwork, Err: err}
	return attemptFailure{err: e, retry: retryableNetErr(err), after: -1}
}

// retryableNetErr says whether a transport error may go away by itself:
// resets, refused connections, EOFs and time-outs do; a host that does not
// exist or a certificate that does not verify do not.
func retryableNetErr(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTimeout || dnsErr.IsTemporary
	}
	var certErr *tls.CertificateVerificationError
	var authErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	if errors.As(err, &certErr) || errors.As(err, &authErr) || errors.As(err, &hostErr) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr)
}

// statusFailure describes a non-2xx answer.
func (c *Client) statusFailure(op string, res *response) attemptFailure {
	f := attemptFailure{err: statusError(op, res.status, res.body), retry: retryableStatus(res.status), after: -1}
	if res.status == http.StatusTooManyRequests {
		c.throttled.Add(1)
	}
	if res.status == http.StatusTooManyRequests || res.status == http.StatusServiceUnavailable {
		if d, ok := retryAfter(res.header.Get("Retry-After"), c.cfg.Now(), c.cfg.MaxRetryAfter); ok {
			f.after = d
		}
	}
	return f
}

// retryAfter parses a Retry-After value, delay-seconds or an HTTP date,
// capped at limit: honouring an absurd value would stall a whole batch.
func retryAfter(v string, now time.Time, limit time.Duration) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs > int64(limit/time.Second) {
			return limit, true // also keeps secs*Second from overflowing
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0, false
	}
	return min(max(d, 0), limit), true
}

// backoff is the wait before retry n (0-based): full jitter over an
// exponentially growing ceiling, so that workers throttled together do not
// come back together.
func (c *Client) backoff(n int) time.Duration {
	ceil := c.cfg.MaxBackoff
	if n < 32 {
		if d := c.cfg.BaseBackoff << n; d > 0 && d < ceil {
			ceil = d
		}
	}
	if ceil <= 0 {
		return 0
	}
	return rand.N(ceil + 1)
}

// pause waits before retry n: the server's Retry-After if it gave one, else
// the backoff.
func (c *Client) pause(ctx context.Context, op string, n int, f attemptFailure) error {
	d := f.after
	if d < 0 {
		d = c.backoff(n)
	}
	c.cfg.Logger.Warn("cja: retrying", "op", op, "retry", n+1, "of", c.cfg.MaxRetries,
		"wait", d, "reason", c.redact(f.err.Error()))
	return c.cfg.Sleep(ctx, d)
}

// gaveUp marks the final error with the number of attempts it took.
func gaveUp(e *Error, attempts int) *Error {
	if attempts > 1 {
		e.Message += fmt.Sprintf(" (gave up after %d attempts)", attempts)
	}
	return e
}
