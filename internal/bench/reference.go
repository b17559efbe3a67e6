package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
)

// referenceRequests is what the reference tool spends per data view
// (DESIGN.md, "Performance model"): a connection-test listing, the data view,
// the data view again, metrics, dimensions.
const referenceRequests = 5

// referenceMaxRetries bounds the driver's retries of one request, so a run
// always ends; the fixed sleep, not this bound, is what the pattern is about.
const referenceMaxRetries = 20

// reference replays the reference tool's request pattern against the
// simulator: the five requests one after another, no client-side limiter,
// and a fixed sleep (30 s, scaled) after every 429 before trying the same
// request again. It shares the IMS token between workers, as the reference
// shares its session.
type reference struct {
	hc    *http.Client
	creds sampleorg.Credentials
	sleep time.Duration

	once  sync.Once
	token string
	err   error
}

func newReference(cfg Config, sim *sampleorg.Server) *reference {
	return &reference{hc: sim.Client(), creds: sampleorg.DemoCredentials(), sleep: cfg.scaled(cfg.RefSleep)}
}

// dataView documents one data view the reference's way (fetching only: its
// checks and workbook are not what this row compares).
func (r *reference) dataView(ctx context.Context, id string) report.Result {
	start := time.Now()
	res := report.Result{DataViewID: id, Status: report.Success}
	base := "/data/dataviews/" + url.PathEscape(id)
	for _, path := range []string{
		"/data/dataviews?limit=10", // the connection test
		base + "?expansion=name,description,owner",
		base + "?expansion=name,description,owner", // fetched again for the metadata sheet
		base + "/metrics?includeType=hidden&limit=1000",
		base + "/dimensions?includeType=hidden&limit=1000",
	} {
		if err := r.get(ctx, path); err != nil {
			res.Status, res.Error = report.Failed, err.Error()
			if ctx.Err() != nil {
				res.Status = report.Cancelled
			}
			break
		}
	}
	res.Duration = time.Since(start)
	return res
}

// get makes one request, sleeping the fixed time after each 429.
func (r *reference) get(ctx context.Context, path string) error {
	tok, err := r.accessToken(ctx)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, sampleorg.DemoCJAURL+path, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("x-api-key", r.creds.ClientID)
		req.Header.Set("x-gw-ims-org-id", r.creds.OrgID)
		req.Header.Set("Accept", "application/json")
		resp, err := r.hc.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			return nil
		case resp.StatusCode == http.StatusTooManyRequests && attempt < referenceMaxRetries:
			sleepCtx(ctx, r.sleep)
			if err := ctx.Err(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("GET %s: %s", path, resp.Status)
		}
	}
}

// accessToken gets one IMS token for every worker.
func (r *reference) accessToken(ctx context.Context) (string, error) {
	r.once.Do(func() {
		form := url.Values{
			"grant_type": {"client_credentials"}, "client_id": {r.creds.ClientID},
			"client_secret": {r.creds.Secret}, "scope": {r.creds.Scopes},
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, sampleorg.DemoIMSURL+"/ims/token/v3", strings.NewReader(form.Encode()))
		if err != nil {
			r.err = err
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := r.hc.Do(req)
		if err != nil {
			r.err = err
			return
		}
		defer resp.Body.Close()
		var body struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
			r.err = errors.Join(errors.New("reference driver: no IMS token"), err)
			return
		}
		r.token = body.AccessToken
	})
	return r.token, r.err
}
