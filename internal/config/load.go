package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// field describes one key of the JSON file and the variable overriding it.
type field struct {
	key, env string
	def      string // default of an optional field ("" = required)
	ptr      func(*Credentials) *string
}

var fields = []field{
	{"org_id", "ORG_ID", "", func(c *Credentials) *string { return &c.OrgID }},
	{"client_id", "CLIENT_ID", "", func(c *Credentials) *string { return &c.ClientID }},
	{"secret", "SECRET", "", func(c *Credentials) *string { return &c.Secret }},
	{"scopes", "SCOPES", "", func(c *Credentials) *string { return &c.Scopes }},
	{"ims_url", "CJA_IMS_URL", DefaultIMSURL, func(c *Credentials) *string { return &c.IMSURL }},
	{"cja_url", "CJA_API_URL", DefaultCJAURL, func(c *Credentials) *string { return &c.CJAURL }},
}

func (f field) required() bool { return f.def == "" }

// jwtFields mark a service-account (JWT) credential.
var jwtFields = []string{"tech_id", "private_key", "pathToKey"}

// jwtRetired is the whole advice for a JWT config.
const jwtRetired = "JWT authentication was retired by Adobe; create an OAuth Server-to-Server credential in the Adobe Developer Console and use client_id, secret, org_id and scopes"

// nearMiss suggests the right name for keys people often write instead.
var nearMiss = map[string]string{
	"client_secret": "secret", "clientId": "client_id", "clientSecret": "secret",
	"orgId": "org_id", "org": "org_id", "scope": "scopes",
}

// Load reads the credentials file at path, applies the environment
// overrides (ORG_ID, CLIENT_ID, SECRET, SCOPES, CJA_IMS_URL, CJA_API_URL;
// getenv is usually os.Getenv, nil means none) and validates the result.
// When the file is missing, the environment alone is enough if it holds the
// four required values. Warnings (unknown keys and the like) do not stop a
// run; the caller shows them.
func Load(path string, getenv func(string) string) (Credentials, []string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		var missing []string
		for _, f := range fields {
			if f.required() && getenvOr(getenv, f.env) == "" {
				missing = append(missing, f.env)
			}
		}
		if len(missing) == 0 {
			return Parse([]byte("{}"), "environment", getenv)
		}
		return Credentials{}, nil, fmt.Errorf("config file %s not found (%w): run `cja-sdr --sample-config` to write %s, fill it in and save it as %s, or set the environment variables ORG_ID, CLIENT_ID, SECRET and SCOPES (missing: %s)",
			path, fs.ErrNotExist, SampleFile, path, strings.Join(missing, ", "))
	}
	if err != nil {
		return Credentials{}, nil, fmt.Errorf("read config file %s: %w", path, err)
	}
	return Parse(data, "config file "+path, getenv)
}

func getenvOr(getenv func(string) string, name string) string {
	if getenv == nil {
		return ""
	}
	return strings.TrimSpace(getenv(name))
}

// Parse validates credentials JSON (the file's format) and applies the
// environment overrides when getenv is not nil. source names the JSON in
// messages, like "config file myconfig.json" or "secret prod/cja".
func Parse(data []byte, source string, getenv func(string) string) (Credentials, []string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // Windows editors add a BOM
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return Credentials{}, nil, jsonError(data, source, err)
	}
	if raw == nil { // the file said null
		return Credentials{}, nil, notObject(source)
	}

	var jwt []string
	for _, k := range jwtFields {
		if _, ok := raw[k]; ok {
			jwt = append(jwt, k)
		}
	}
	if len(jwt) > 0 {
		return Credentials{}, nil, fmt.Errorf("%s has JWT fields (%s): %s", source, strings.Join(jwt, ", "), jwtRetired)
	}

	c := Credentials{RateLimit: DefaultRateLimit}
	var problems, warnings []string
	badType := map[string]bool{}
	for _, f := range fields {
		p := f.ptr(&c)
		*p = f.def
		if v, ok := raw[f.key]; ok {
			s, problem := decodeString(f.key, v)
			if problem != "" {
				problems = append(problems, problem)
				badType[f.key] = true
			} else if s != "" {
				*p = s
			}
		}
		if v := getenvOr(getenv, f.env); v != "" {
			*p = v
		}
	}
	if v, ok := raw["rate_limit"]; ok && jsonKind(v) != "null" {
		n, err := strconv.Atoi(string(bytes.TrimSpace(v)))
		if err != nil || n < 1 {
			problems = append(problems, "rate_limit must be a whole number of requests per 6 seconds, at least 1")
		} else {
			c.RateLimit = n
		}
	}

	var missing, missingEnv []string
	for _, f := range fields {
		switch v := *f.ptr(&c); {
		case badType[f.key]:
		case f.required() && v == "":
			missing = append(missing, f.key)
			missingEnv = append(missingEnv, f.env)
		case placeholders[f.key] != "" && v == placeholders[f.key]:
			problems = append(problems, f.key+" still holds the sample placeholder: put in the value from your Adobe Developer Console project")
		case !f.required() && !isHTTPURL(v):
			problems = append(problems, f.key+" must be an absolute http(s) URL, like "+f.def)
		}
	}
	if len(missing) > 0 {
		p := "missing or empty: " + strings.Join(missing, ", ")
		if getenv != nil {
			p += " (or set " + strings.Join(missingEnv, ", ") + " in the environment)"
		}
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		return Credentials{}, nil, fmt.Errorf("%s is invalid:\n  - %s", source, strings.Join(problems, "\n  - "))
	}

	c.IMSURL = strings.TrimRight(c.IMSURL, "/")
	c.CJAURL = strings.TrimRight(c.CJAURL, "/")
	if !strings.HasSuffix(c.OrgID, "@AdobeOrg") {
		warnings = append(warnings, fmt.Sprintf("%s: org_id usually ends with @AdobeOrg; check it against the Adobe Developer Console", source))
	}
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		if k == "rate_limit" || slices.ContainsFunc(fields, func(f field) bool { return f.key == k }) {
			continue
		}
		w := fmt.Sprintf("%s: unknown field %q ignored", source, k)
		if right, ok := nearMiss[k]; ok {
			w += fmt.Sprintf(" (did you mean %q?)", right)
		}
		warnings = append(warnings, w)
	}
	return c, warnings, nil
}

// decodeString reads a string field (scopes may also be an array of
// strings), trimmed: stray spaces from copy and paste would otherwise make
// IMS reject a correct credential. null counts as absent. The problem text
// names the field and the JSON type, never the value.
func decodeString(key string, v json.RawMessage) (string, string) {
	want := "a string"
	if key == "scopes" {
		want = "a string or an array of strings"
	}
	switch kind := jsonKind(v); {
	case kind == "null":
		return "", ""
	case kind == "string":
		var s string
		json.Unmarshal(v, &s)
		return strings.TrimSpace(s), ""
	case kind == "array" && key == "scopes":
		var list []any
		json.Unmarshal(v, &list)
		parts := make([]string, 0, len(list))
		for _, e := range list {
			s, ok := e.(string)
			if !ok {
				return "", "scopes must be " + want + ", not an array holding other values"
			}
			if s = strings.TrimSpace(s); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ","), ""
	default:
		return "", fmt.Sprintf("%s must be %s, not %s", key, want, article(kind))
	}
}

func article(kind string) string {
	if kind == "array" || kind == "object" {
		return "an " + kind
	}
	return "a " + kind
}

// jsonKind names the JSON type of a valid value from its first byte.
func jsonKind(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "null"
	}
	switch v[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// quotedChar is the offending character encoding/json quotes in a syntax
// error. It is dropped: it may be a character of an unquoted secret.
var quotedChar = regexp.MustCompile(`^invalid character '.*?' `)

// jsonError turns a decoding error into one that gives the position.
func jsonError(data []byte, source string, err error) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		line, col := position(data, se.Offset)
		msg := quotedChar.ReplaceAllString(se.Error(), "invalid character ")
		return fmt.Errorf("%s is not valid JSON: line %d, column %d: %s", source, line, col, msg)
	}
	if _, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return notObject(source)
	}
	return fmt.Errorf("%s is not valid JSON", source)
}

func notObject(source string) error {
	return fmt.Errorf("%s must hold a JSON object like the one `cja-sdr --sample-config` writes", source)
}

// position converts the byte offset json reports (just past the offending
// byte) to a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	p := int(min(max(offset-1, 0), int64(len(data))))
	before := data[:p]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = p - bytes.LastIndexByte(before, '\n')
	return line, col
}
