// Package config loads the Adobe credentials the command and the Lambdas
// use: from a JSON file (myconfig.json) with environment overrides, or from
// the same JSON held in Secrets Manager (see package secrets). It checks
// everything it can before the first request, and no secret value ever
// reaches an error, a warning, a log line or a JSON encoding.
package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Defaults for the optional fields.
const (
	DefaultIMSURL    = "https://ims-na1.adobelogin.com"
	DefaultCJAURL    = "https://cja.adobe.io"
	DefaultRateLimit = 12 // requests per 6 seconds per user: CJA's limit
)

// File names the reference tool uses.
const (
	DefaultFile = "myconfig.json"
	SampleFile  = "myconfig.sample.json"
)

// redacted stands in for the secret wherever credentials are printed.
const redacted = "[REDACTED]"

// Credentials are an OAuth Server-to-Server credential plus where to use it.
type Credentials struct {
	OrgID     string // IMS organisation, like ABC123@AdobeOrg
	ClientID  string // also sent as x-api-key
	Secret    string // the client secret: never printed
	Scopes    string // comma-separated
	IMSURL    string // token host, no trailing slash
	CJAURL    string // API base URL, no trailing slash
	RateLimit int    // requests per 6 seconds
}

// view is Credentials with the secret replaced, for every printed form.
type view struct {
	OrgID     string `json:"org_id"`
	ClientID  string `json:"client_id"`
	Secret    string `json:"secret"`
	Scopes    string `json:"scopes"`
	IMSURL    string `json:"ims_url"`
	CJAURL    string `json:"cja_url"`
	RateLimit int    `json:"rate_limit"`
}

func (c Credentials) view() view {
	v := view(c)
	if v.Secret != "" { // an empty secret stays visible: it explains a failure
		v.Secret = redacted
	}
	return v
}

// String prints the credentials with the secret redacted (fmt's %v and %+v
// use it).
func (c Credentials) String() string {
	return fmt.Sprintf("%+v", c.view())
}

// GoString redacts the secret from %#v too.
func (c Credentials) GoString() string {
	return "config.Credentials" + c.String()
}

// LogValue makes slog print the credentials with the secret redacted.
func (c Credentials) LogValue() slog.Value {
	v := c.view()
	return slog.GroupValue(
		slog.String("org_id", v.OrgID),
		slog.String("client_id", v.ClientID),
		slog.String("secret", v.Secret),
		slog.String("scopes", v.Scopes),
		slog.String("ims_url", v.IMSURL),
		slog.String("cja_url", v.CJAURL),
		slog.Int("rate_limit", v.RateLimit),
	)
}

// MarshalJSON redacts the secret, so credentials accidentally embedded in a
// result or summary file cannot leak it.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(c.view())
}

// SampleConfig is the content of myconfig.sample.json: the four required
// fields with placeholders (Load refuses them until replaced) and the usual
// scopes.
func SampleConfig() []byte {
	return []byte(`{
  "org_id": "` + placeholders["org_id"] + `",
  "client_id": "` + placeholders["client_id"] + `",
  "secret": "` + placeholders["secret"] + `",
  "scopes": "openid, AdobeID, additional_info.projectedProductContext"
}
`)
}

var placeholders = map[string]string{
	"org_id":    "YOUR_ORG_ID@AdobeOrg",
	"client_id": "YOUR_CLIENT_ID",
	"secret":    "YOUR_CLIENT_SECRET",
}
