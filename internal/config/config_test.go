package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secret is the value that must never appear in any message.
const secret = "p8e-S3cr3tV4lue-9f2c1d7a"

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func write(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "myconfig.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const good = `{
  "org_id": "ABC123@AdobeOrg",
  "client_id": "cid",
  "secret": "` + secret + `",
  "scopes": "openid, AdobeID, additional_info.projectedProductContext"
}`

func TestLoadGood(t *testing.T) {
	c, warns, err := Load(write(t, good), env(nil))
	if err != nil || len(warns) != 0 {
		t.Fatalf("Load: %v %q", err, warns)
	}
	want := Credentials{
		OrgID: "ABC123@AdobeOrg", ClientID: "cid", Secret: secret,
		Scopes: "openid, AdobeID, additional_info.projectedProductContext",
		IMSURL: DefaultIMSURL, CJAURL: DefaultCJAURL, RateLimit: 12,
	}
	if c != want {
		t.Errorf("got  %#v\nwant %#v", c, want)
	}
}

func TestLoadOptionalFieldsAndTrimming(t *testing.T) {
	c, _, err := Load(write(t, "\ufeff"+`{
		"org_id": " ABC@AdobeOrg ", "client_id": "cid\n", "secret": "s",
		"scopes": ["openid", " AdobeID ", ""],
		"ims_url": "http://127.0.0.1:8080/", "cja_url": "https://cja.example/api/",
		"rate_limit": 30
	}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.OrgID != "ABC@AdobeOrg" || c.ClientID != "cid" || c.Scopes != "openid,AdobeID" ||
		c.IMSURL != "http://127.0.0.1:8080" || c.CJAURL != "https://cja.example/api" || c.RateLimit != 30 {
		t.Errorf("got %+v", c)
	}
}

func TestEnvOverrides(t *testing.T) {
	e := env(map[string]string{
		"ORG_ID": "ENV@AdobeOrg", "CLIENT_ID": "envcid", "SECRET": "envsecret", "SCOPES": "openid",
		"CJA_IMS_URL": "http://ims.local", "CJA_API_URL": "http://cja.local",
	})
	c, _, err := Load(write(t, good), e)
	if err != nil {
		t.Fatal(err)
	}
	want := Credentials{OrgID: "ENV@AdobeOrg", ClientID: "envcid", Secret: "envsecret", Scopes: "openid",
		IMSURL: "http://ims.local", CJAURL: "http://cja.local", RateLimit: 12}
	if c != want {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}

	// An env var fills a field the file lacks.
	c, _, err = Load(write(t, `{"org_id":"A@AdobeOrg","client_id":"c","scopes":"openid"}`), env(map[string]string{"SECRET": "s"}))
	if err != nil || c.Secret != "s" {
		t.Errorf("SECRET from env: %+v, %v", c, err)
	}
}

func TestMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "myconfig.json")
	_, _, err := Load(path, env(map[string]string{"ORG_ID": "x"}))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	for _, s := range []string{path, "cja-sdr --sample-config", "ORG_ID, CLIENT_ID, SECRET and SCOPES", "missing: CLIENT_ID, SECRET, SCOPES"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message lacks %q: %v", s, err)
		}
	}

	// With the four required variables the file is not needed.
	c, _, err := Load(path, env(map[string]string{"ORG_ID": "o@AdobeOrg", "CLIENT_ID": "c", "SECRET": "s", "SCOPES": "openid"}))
	if err != nil || c.ClientID != "c" || c.CJAURL != DefaultCJAURL {
		t.Errorf("env only: %+v, %v", c, err)
	}
}

func TestUnreadableFile(t *testing.T) {
	_, _, err := Load(t.TempDir(), nil) // a directory
	if err == nil || !strings.Contains(err.Error(), "read config file") {
		t.Errorf("err = %v", err)
	}
}

func TestInvalid(t *testing.T) {
	for name, tc := range map[string]struct{ json, want string }{
		"syntax": {"{\n  \"org_id\": \"a\",\n  \"secret\": " + secret + "\n}",
			"is not valid JSON: line 3, column 13: invalid character looking for beginning of value"},
		"trailing comma": {"{\n\"org_id\": \"a\",\n}", "line 3, column 1"},
		"truncated":      {`{"org_id": "a"`, "not valid JSON"},
		"empty":          {``, "not valid JSON"},
		"array":          {`["a"]`, "must hold a JSON object"},
		"null":           {`null`, "must hold a JSON object"},
		"missing": {`{"org_id":"a@AdobeOrg","secret":""}`,
			"missing or empty: client_id, secret, scopes (or set CLIENT_ID, SECRET, SCOPES in the environment)"},
		"number org_id":    {`{"org_id":123,"client_id":"c","secret":"s","scopes":"x"}`, "org_id must be a string, not a number"},
		"bool secret":      {`{"org_id":"o","client_id":"c","secret":true,"scopes":"x"}`, "secret must be a string, not a boolean"},
		"object client_id": {`{"org_id":"o","client_id":{},"secret":"s","scopes":"x"}`, "client_id must be a string, not an object"},
		"array secret":     {`{"org_id":"o","client_id":"c","secret":["` + secret + `"],"scopes":"x"}`, "secret must be a string, not an array"},
		"bad scopes":       {`{"org_id":"o","client_id":"c","secret":"s","scopes":[1]}`, "scopes must be a string or an array of strings, not an array holding other values"},
		"number scopes":    {`{"org_id":"o","client_id":"c","secret":"s","scopes":7}`, "scopes must be a string or an array of strings, not a number"},
		"rate_limit 0":     {`{"org_id":"o","client_id":"c","secret":"s","scopes":"x","rate_limit":0}`, "rate_limit must be a whole number"},
		"rate_limit str":   {`{"org_id":"o","client_id":"c","secret":"s","scopes":"x","rate_limit":"12"}`, "rate_limit must be a whole number"},
		"rate_limit frac":  {`{"org_id":"o","client_id":"c","secret":"s","scopes":"x","rate_limit":1.5}`, "rate_limit must be a whole number"},
		"ftp url":          {`{"org_id":"o","client_id":"c","secret":"s","scopes":"x","ims_url":"ftp://ims"}`, "ims_url must be an absolute http(s) URL, like https://ims-na1.adobelogin.com"},
		"relative url":     {`{"org_id":"o","client_id":"c","secret":"s","scopes":"x","cja_url":"cja.adobe.io"}`, "cja_url must be an absolute http(s) URL"},
		"placeholders":     {string(SampleConfig()), "org_id still holds the sample placeholder"},
		"jwt": {`{"org_id":"o","client_id":"c","secret":"s","tech_id":"t","private_key":"k"}`,
			"has JWT fields (tech_id, private_key): JWT authentication was retired by Adobe; create an OAuth Server-to-Server credential in the Adobe Developer Console and use client_id, secret, org_id and scopes"},
		"jwt pathToKey": {`{"pathToKey":"key.pem"}`, "JWT authentication was retired by Adobe"},
	} {
		t.Run(name, func(t *testing.T) {
			path := write(t, tc.json)
			_, warns, err := Load(path, env(nil))
			if err == nil {
				t.Fatalf("no error; warnings %q", warns)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error:\n%v\nwant it to contain %q and the path", err, tc.want)
			}
		})
	}
}

func TestAllProblemsListed(t *testing.T) {
	_, _, err := Load(write(t, `{"org_id":1,"secret":"s","ims_url":"x"}`), nil)
	want := "is invalid:\n  - org_id must be a string, not a number\n  - ims_url must be an absolute http(s) URL, like https://ims-na1.adobelogin.com\n  - missing or empty: client_id, scopes"
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("err:\n%v\nwant suffix:\n%s", err, want)
	}
}

func TestWarnings(t *testing.T) {
	_, warns, err := Load(write(t, `{"org_id":"ABC","client_id":"c","secret":"s","scopes":"x",
		"sandbox":"prod","client_secret":"`+secret+`"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(warns, "\n")
	for _, s := range []string{`unknown field "client_secret" ignored (did you mean "secret"?)`, `unknown field "sandbox" ignored`, "org_id usually ends with @AdobeOrg"} {
		if !strings.Contains(got, s) {
			t.Errorf("warnings lack %q:\n%s", s, got)
		}
	}
}

// TestSecretNeverShown feeds the secret through every path that produces a
// message or a printed form and checks that it never comes out.
func TestSecretNeverShown(t *testing.T) {
	inputs := []string{
		good,
		`{"org_id":"o","client_id":"c","secret":` + secret + `}`, // unquoted: a syntax error
		`{"secret":"` + secret + `", "org_id":` + secret + `}`,
		`{"secret":"` + secret + `","tech_id":"t"}`,
		`{"secret":"` + secret + `","ims_url":"` + secret + `"}`,
		`{"secret":"` + secret + `","cja_url":"ftp://` + secret + `"}`,
		`{"secret":["` + secret + `"]}`,
		`{"secret":"` + secret + `","rate_limit":"` + secret + `"}`,
		`{"secret":"` + secret + `","` + "client_secret" + `":"` + secret + `","org_id":"x"}`,
		`{"secret":"` + secret + `","scopes":[{"` + secret + `":1}]}`,
		`{"secret":"` + secret + `"`,
	}
	var texts []string
	for _, in := range inputs {
		c, warns, err := Load(write(t, in), env(map[string]string{"CJA_IMS_URL": "x" + secret}))
		texts = append(texts, warns...)
		if err != nil {
			texts = append(texts, err.Error())
		}
		c2, warns, err := Parse([]byte(in), "secret cja", env(map[string]string{"SECRET": secret}))
		texts = append(texts, warns...)
		if err != nil {
			texts = append(texts, err.Error())
		}
		for _, c := range []Credentials{c, c2, {Secret: secret}} {
			var logged bytes.Buffer
			slog.New(slog.NewJSONHandler(&logged, nil)).Info("creds", "c", c)
			slog.New(slog.NewTextHandler(&logged, nil)).Info("creds", "c", c)
			j, _ := json.Marshal(c)
			wrapped, _ := json.Marshal(struct{ C Credentials }{c})
			texts = append(texts, c.String(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), logged.String(), string(j), string(wrapped))
		}
	}
	for _, s := range texts {
		if strings.Contains(s, secret) || strings.Contains(s, secret[:8]) {
			t.Errorf("secret shown in: %s", s)
		}
	}
}

func TestRedactedForms(t *testing.T) {
	c := Credentials{OrgID: "o", ClientID: "c", Secret: secret, Scopes: "x", IMSURL: "i", CJAURL: "j", RateLimit: 12}
	if s := c.String(); !strings.Contains(s, "Secret:[REDACTED]") || !strings.Contains(s, "ClientID:c") {
		t.Errorf("String = %s", s)
	}
	if s := (Credentials{}).String(); strings.Contains(s, "REDACTED") {
		t.Errorf("an empty secret should show as empty: %s", s)
	}
	j, _ := json.Marshal(c)
	if !strings.Contains(string(j), `"secret":"[REDACTED]"`) {
		t.Errorf("JSON = %s", j)
	}
}

func TestSampleConfig(t *testing.T) {
	var m map[string]string
	if err := json.Unmarshal(SampleConfig(), &m); err != nil {
		t.Fatal(err)
	}
	if m["scopes"] != "openid, AdobeID, additional_info.projectedProductContext" || len(m) != 4 {
		t.Errorf("sample = %v", m)
	}
	// Filled in, the sample loads without warnings.
	filled := strings.NewReplacer("YOUR_ORG_ID", "ABC", "YOUR_CLIENT_ID", "cid", "YOUR_CLIENT_SECRET", "sec").Replace(string(SampleConfig()))
	if _, warns, err := Parse([]byte(filled), "sample", nil); err != nil || len(warns) != 0 {
		t.Errorf("filled sample: %v %q", err, warns)
	}
}
