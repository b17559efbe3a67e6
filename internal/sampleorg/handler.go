package sampleorg

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/ratelimit"
)

// Gateway error bodies, byte for byte as the Adobe I/O gateway sends them.
const (
	gatewayThrottled = `{"error_code":"429050","message":"Too many requests"}`
	gatewayBadToken  = `{"error_code":"401013","message":"Oauth token is not valid"}`
	gatewayBadAPIKey = `{"error_code":"403003","message":"Api Key is invalid"}`
)

// maxLimit caps the limit parameter, as the live list endpoint does.
const maxLimit = 1000

// endpoint is what a request asks for, decided from its path alone.
type endpoint int

const (
	epOther endpoint = iota
	epToken
	epList
	epDataView
	epMetrics
	epDimensions
)

// classify maps a path to its endpoint and the data view id it names.
func classify(path string) (endpoint, string) {
	if path == "/ims/token/v3" {
		return epToken, ""
	}
	if path == "/data/dataviews" {
		return epList, ""
	}
	rest, ok := strings.CutPrefix(path, "/data/dataviews/")
	if !ok {
		return epOther, ""
	}
	id, sub, nested := strings.Cut(rest, "/")
	switch {
	case id == "":
		return epOther, ""
	case !nested:
		return epDataView, id
	case sub == "metrics":
		return epMetrics, id
	case sub == "dimensions":
		return epDimensions, id
	}
	return epOther, ""
}

// ServeHTTP serves IMS and CJA on the same handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serve(w, r) {
		resetConnection(w)
	}
}

// resetConnection drops the client's connection with a TCP reset (linger 0),
// which is what a client sees when a load balancer kills a connection.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2 and wrapped writers: aborting still drops the stream.
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// serve handles one request; it reports true when the connection must be
// reset instead of answered (the caller knows how to do that for its kind
// of connection).
func (s *Server) serve(w http.ResponseWriter, r *http.Request) (reset bool) {
	seq := s.seq.Add(1)
	kind, dvID := classify(r.URL.Path)
	s.begin(kind, dvID)
	defer s.end(dvID)

	if s.opts.Faults != nil {
		if f := s.opts.Faults(r, seq); f != nil {
			s.countFault()
			if done, reset := s.fault(w, r, f); done {
				return reset
			}
		}
	}
	switch kind {
	case epToken:
		s.token(w, r)
	case epOther:
		s.cjaError(w, http.StatusNotFound, "resource_not_found", "No endpoint at "+r.URL.Path)
	default:
		s.cja(w, r, kind, dvID)
	}
	return false
}

// fault applies f; done is false when the request must still be handled
// normally (a Delay-only fault).
func (s *Server) fault(w http.ResponseWriter, r *http.Request, f *Fault) (done, reset bool) {
	ctx := r.Context()
	if f.Delay > 0 && !sleep(ctx, f.Delay) {
		return true, false
	}
	switch {
	case f.Hang:
		<-ctx.Done()
		return true, false
	case f.Reset:
		return true, true
	case f.Status != 0:
		body := f.Body
		if body == "" {
			body = defaultFaultBody(f.Status)
		}
		for k, vs := range f.Header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		s.write(w, f.Status, []byte(body))
		return true, false
	}
	return false, false
}

// sleep waits d or until ctx ends; it reports whether the full wait elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// write sends a JSON (unless the header says otherwise) response and counts it.
func (s *Server) write(w http.ResponseWriter, status int, body []byte) {
	s.counted(status)
	h := w.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json;charset=UTF-8")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	s.write(w, status, mustJSON(v))
}

// oauthError sends IMS's OAuth2-style error body.
func (s *Server) oauthError(w http.ResponseWriter, status int, code, desc string) {
	s.writeJSON(w, status, struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, desc})
}

// cjaError sends the CJA service's error body. errorId is derived from the
// message so that the same request always gets byte-identical bodies.
func (s *Server) cjaError(w http.ResponseWriter, status int, code, desc string) {
	sum := sha256.Sum256([]byte(code + "\x00" + desc))
	s.writeJSON(w, status, struct {
		ErrorCode        string `json:"errorCode"`
		ErrorDescription string `json:"errorDescription"`
		ErrorID          string `json:"errorId"`
	}{code, desc, uuidLike(sum[:16])})
}

// token is POST /ims/token/v3.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "The token endpoint only accepts POST")
		return
	}
	// A secret in the URL ends up in proxy and server logs: IMS refuses it,
	// and so must we, or a client that leaks it would pass its tests.
	if q := r.URL.Query(); q.Has("client_secret") || q.Has("client_id") {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "Client credentials must be sent in the request body, not the query string")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "The request body is not a valid form")
		return
	}
	form := r.PostForm // body only: the query string was refused above
	if form.Get("grant_type") != "client_credentials" {
		s.oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	}
	if form.Get("client_id") != s.creds.ClientID || form.Get("client_secret") != s.creds.Secret {
		s.oauthError(w, http.StatusUnauthorized, "invalid_client", "invalid client_id or client_secret parameter")
		return
	}
	for _, sc := range strings.Split(form.Get("scope"), ",") {
		if sc = strings.TrimSpace(sc); sc != "" && !acceptedScopes[sc] {
			s.oauthError(w, http.StatusBadRequest, "invalid_scope", "invalid scope "+strconv.Quote(sc))
			return
		}
	}

	now := s.opts.Now()
	s.mu.Lock()
	for t, exp := range s.tokens { // forget expired tokens: long demo runs refresh many
		if !now.Before(exp) {
			delete(s.tokens, t)
		}
	}
	s.issued++
	tok := accessToken(s.creds.ClientID, s.issued)
	s.tokens[tok] = now.Add(s.opts.TokenTTL)
	s.stats.TokensIssued++
	s.mu.Unlock()

	s.writeJSON(w, http.StatusOK, struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}{tok, "bearer", int64(s.opts.TokenTTL / time.Second)})
}

// accessToken makes the n-th token JWT-shaped (secret scanners and log
// redaction tests look for "eyJ") and deterministic, so runs are repeatable.
func accessToken(clientID string, n int64) string {
	claims := fmt.Sprintf(`{"type":"access_token","client_id":%q,"as":"ims-sample","n":%d}`, clientID, n)
	sig := sha256.Sum256([]byte("sampleorg token\x00" + claims))
	return "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." +
		base64.RawURLEncoding.EncodeToString([]byte(claims)) + "." +
		base64.RawURLEncoding.EncodeToString(sig[:])
}

// authorize runs the gateway's checks in its order: token, API key, org.
// It reports whether the request may proceed (else the answer is written).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	expiry, known := s.tokens[tok]
	s.mu.Unlock()
	if !ok || !known || !s.opts.Now().Before(expiry) {
		s.write(w, http.StatusUnauthorized, []byte(gatewayBadToken))
		return false
	}
	if r.Header.Get("x-api-key") != s.creds.ClientID {
		s.write(w, http.StatusForbidden, []byte(gatewayBadAPIKey))
		return false
	}
	if org := r.Header.Get("x-gw-ims-org-id"); org != s.creds.OrgID {
		s.cjaError(w, http.StatusForbidden, "insufficient_access", "The user does not have access to IMS org "+strconv.Quote(org))
		return false
	}
	return true
}

// throttle applies the per-client sliding window; it reports whether the
// request was refused (and answered 429).
func (s *Server) throttle(w http.ResponseWriter, clientID string) bool {
	if s.opts.RateLimit <= 0 {
		return false
	}
	s.mu.Lock()
	lim := s.limiters[clientID]
	if lim == nil {
		lim = ratelimit.New(s.opts.RateLimit, s.opts.RatePer).WithClock(s.opts.Now)
		s.limiters[clientID] = lim
	}
	s.mu.Unlock()
	if lim.Allow() {
		return false
	}
	if s.opts.RetryAfter {
		secs := max(1, int(math.Ceil(lim.RetryAfter().Seconds())))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	s.write(w, http.StatusTooManyRequests, []byte(gatewayThrottled))
	return true
}

// cja handles the four data view endpoints.
func (s *Server) cja(w http.ResponseWriter, r *http.Request, kind endpoint, dvID string) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		s.cjaError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not supported on "+r.URL.Path)
		return
	}
	if !s.authorize(w, r) || s.throttle(w, r.Header.Get("x-api-key")) {
		return
	}
	if s.opts.Latency > 0 && !sleep(r.Context(), s.opts.Latency) {
		return // the client has gone; nobody reads an answer
	}

	q := r.URL.Query()
	page, size, err := pageParams(q, s.opts.PageSize)
	if err != nil {
		s.cjaError(w, http.StatusBadRequest, "invalid_parameter", err.Error())
		return
	}
	if kind == epList {
		s.writePage(w, s.listing(page, size), page, size, s.listTotal())
		return
	}

	v := s.lookup(dvID)
	switch {
	case v == nil:
		s.cjaError(w, http.StatusNotFound, "resource_not_found", "Data view "+strconv.Quote(dvID)+" was not found")
		return
	case v.forbidden:
		s.cjaError(w, http.StatusForbidden, "insufficient_access", "The user does not have access to data view "+strconv.Quote(dvID))
		return
	}
	if kind == epDataView {
		s.write(w, http.StatusOK, v.object())
		return
	}
	all := v.metrics()
	if kind == epDimensions {
		all = v.dimensions()
	}
	withHidden := false
	for _, t := range strings.Split(q.Get("includeType"), ",") {
		withHidden = withHidden || strings.TrimSpace(t) == "hidden"
	}
	visible := make([]json.RawMessage, 0, len(all))
	for _, c := range all {
		if withHidden || !c.hidden {
			visible = append(visible, c.raw)
		}
	}
	s.writePage(w, pageOf(visible, page, size), page, size, len(visible))
}

// pageParams reads page (0-based) and limit. Bad values are a 400: the live
// API rejects them, and a silent default would hide a client bug.
func pageParams(q map[string][]string, def int) (page, size int, err error) {
	size = def
	if v := first(q["limit"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, fmt.Errorf("limit must be a positive integer, got %q", v)
		}
		size = min(n, maxLimit)
	}
	if v := first(q["page"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, fmt.Errorf("page must be a non-negative integer, got %q", v)
		}
		page = n
	}
	return page, size, nil
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// pageBounds returns the index range of page number page (empty past the end).
func pageBounds(total, page, size int) (start, end int) {
	if page > total/size { // also guards page*size against overflow
		return total, total
	}
	start = min(page*size, total)
	return start, min(start+size, total)
}

// pageOf returns one page of items.
func pageOf(items []json.RawMessage, page, size int) []json.RawMessage {
	start, end := pageBounds(len(items), page, size)
	return items[start:end]
}

// listTotal is the number of listed data views.
func (s *Server) listTotal() int {
	return len(listedFixtures()) + s.opts.Synthetic
}

// listing returns one page of the data view list, building only the objects
// on it (Synthetic may be large).
func (s *Server) listing(page, size int) []json.RawMessage {
	listed := listedFixtures()
	start, end := pageBounds(s.listTotal(), page, size)
	out := make([]json.RawMessage, 0, end-start)
	for i := start; i < end; i++ {
		if i < len(listed) {
			out = append(out, listed[i].object())
		} else {
			out = append(out, newView(synthSpec(i-len(listed)+1)).object())
		}
	}
	return out
}

// springEnvelope is the page envelope of Adobe's docs (content aside).
type springEnvelope struct {
	Number           int  `json:"number"`
	Size             int  `json:"size"`
	TotalElements    int  `json:"totalElements"`
	TotalPages       int  `json:"totalPages"`
	NumberOfElements int  `json:"numberOfElements"`
	FirstPage        bool `json:"firstPage"`
	LastPage         bool `json:"lastPage"`
}

// lastEnvelope is the Spring Data page envelope of the swagger (content aside).
type lastEnvelope struct {
	Number           int  `json:"number"`
	Size             int  `json:"size"`
	TotalElements    int  `json:"totalElements"`
	TotalPages       int  `json:"totalPages"`
	NumberOfElements int  `json:"numberOfElements"`
	First            bool `json:"first"`
	Last             bool `json:"last"`
	Empty            bool `json:"empty"`
}

// writePage sends content in the configured envelope. The items are already
// encoded, so they are spliced in rather than re-encoded by encoding/json,
// which would re-validate every byte of every page (benchmarks notice).
func (s *Server) writePage(w http.ResponseWriter, content []json.RawMessage, page, size, total int) {
	pages := (total + size - 1) / size
	last := page+1 >= pages
	var fields []byte
	if s.opts.Envelope == EnvelopeLast {
		fields = mustJSON(lastEnvelope{page, size, total, pages, len(content), page == 0, last, len(content) == 0})
	} else {
		fields = mustJSON(springEnvelope{page, size, total, pages, len(content), page == 0, last})
	}
	n := len(fields) + 16
	for _, c := range content {
		n += len(c) + 1
	}
	body := make([]byte, 0, n)
	body = append(body, `{"content":[`...)
	for i, c := range content {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, c...)
	}
	body = append(body, "],"...)
	body = append(body, fields[1:]...) // fields without its opening brace
	s.write(w, http.StatusOK, body)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("sampleorg: " + err.Error()) // only our own fixtures are encoded
	}
	return b
}

// uuidLike formats 16 bytes as a UUID-shaped id (errorId, request ids).
func uuidLike(b []byte) string {
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
