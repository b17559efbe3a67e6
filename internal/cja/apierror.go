package cja

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Hints shown to the user, one per situation, so the wording stays the same
// wherever the failure comes from.
const (
	hintNotFound     = "check the ID with --list-dataviews"
	hintForbidden    = "ask an admin to add the data view to your product profile"
	hintAPIKey       = "check the client ID: the API gateway rejected it as x-api-key"
	hintUnauthorized = "check the client ID, client secret and org ID, and that the credential's product profile grants CJA access"
	hintIMS          = "check the client ID, client secret, org ID and scopes of the OAuth Server-to-Server credential in the Adobe Developer Console"
	hintThrottled    = "lower --workers or the rate limit"
	hintServer       = "retry later"
	hintNetwork      = "check the network connection and the API URL"
	hintIMSNetwork   = "check the network connection and the IMS URL"
	hintBadRequest   = "the API rejected the request; check the data view ID"
	hintBadResponse  = "the API answered something unexpected; retry later, and report it if it persists"
)

// apiError is the error a body describes, in whichever shape the API,
// its gateway or IMS used.
type apiError struct {
	Code    string
	Message string
}

// parseAPIError reads the error body shapes CJA_API.md §4 lists:
// errorCode/errorDescription (CJA), error_code/message (gateway),
// error/error_description (IMS, OAuth2) and statusCode/message (some 5xx).
// A body that is not JSON yields its start as the message: gateways answer
// with HTML or text, and a few words of it help more than nothing.
func parseAPIError(body []byte) apiError {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return apiError{Message: snippet(body)}
	}
	return errorFields(m)
}

func errorFields(m map[string]any) apiError {
	var e apiError
	for _, k := range []string{"errorCode", "error_code", "code", "error"} {
		if v, ok := m[k]; ok && v != nil {
			if inner, ok := v.(map[string]any); ok {
				// {"error": {"code": ..., "message": ...}}
				return errorFields(inner)
			}
			e.Code = str(v)
			break
		}
	}
	for _, k := range []string{"errorDescription", "error_description", "message", "errorMessage", "detail", "title"} {
		if s := str(m[k]); s != "" {
			e.Message = s
			break
		}
	}
	return e
}

// looksLikeError reports whether a decoded 200 body is really an error
// object: cjapy-style clients turn those into empty tables, this one must not.
func looksLikeError(m map[string]any) bool {
	for _, k := range []string{"errorCode", "error_code", "error", "errorDescription", "error_description"} {
		if v, ok := m[k]; ok && v != nil {
			return true
		}
	}
	if n, ok := m["statusCode"].(float64); ok && n >= 400 {
		return true
	}
	return false
}

// snippet is the start of a non-JSON body, on one line.
func snippet(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// statusError turns a non-2xx CJA answer into an *Error with its kind, the
// API's own words and what to do about it.
func statusError(op string, status int, body []byte) *Error {
	ae := parseAPIError(body)
	e := &Error{Op: op, Status: status, Code: ae.Code, Message: ae.Message}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	switch {
	case status == http.StatusNotFound:
		e.Kind, e.Hint = KindNotFound, hintNotFound
	case status == http.StatusForbidden:
		e.Kind, e.Hint = KindForbidden, hintForbidden
		if ae.Code == "403003" { // gateway: "Api Key is invalid"
			e.Hint = hintAPIKey
		}
	case status == http.StatusUnauthorized:
		e.Kind, e.Hint = KindUnauthorized, hintUnauthorized
	case status == http.StatusTooManyRequests:
		e.Kind, e.Hint = KindThrottled, hintThrottled
	case status == http.StatusRequestTimeout || status >= 500:
		e.Kind, e.Hint = KindServer, hintServer
	default:
		e.Kind, e.Hint = KindUnknown, hintBadRequest
	}
	return e
}

// retryableStatus lists what CJA_API.md §4 says to retry. 401 is handled
// apart (one token refresh), and 400/403/404 never change by retrying.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// badResponse is a 2xx answer the client cannot use.
func badResponse(op string, status int, msg string, body []byte) *Error {
	e := &Error{Kind: KindBadResponse, Status: status, Op: op, Message: msg, Hint: hintBadResponse}
	if body != nil {
		ae := parseAPIError(body)
		e.Code = ae.Code
		if ae.Message != "" {
			e.Message += ": " + ae.Message
		}
	}
	return e
}
