package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"
)

// otherAPI is a CJA API that is not the sample organisation: different data,
// Spring-style `last` instead of `lastPage`, small pages, a 429 burst with and
// without Retry-After, a token that stops working mid-run, and a 404.
type otherAPI struct {
	mu     sync.Mutex
	tokens int
	// cjaRequests counts every CJA request; requests counts the authorised
	// ones per path.
	cjaRequests int
	requests    map[string]int
	throttled   int
}

func (a *otherAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/ims/token/v3" {
		a.tokens++
		fmt.Fprintf(w, `{"access_token":"other-token-%d","token_type":"bearer","expires_in":86399}`, a.tokens)
		return
	}
	a.cjaRequests++
	// The first token is revoked after two requests: the client must
	// refresh once and carry on.
	if r.Header.Get("Authorization") == "Bearer other-token-1" && a.cjaRequests > 2 {
		w.WriteHeader(401)
		fmt.Fprint(w, `{"error_code":"401013","message":"Oauth token is not valid"}`)
		return
	}
	a.requests[r.URL.Path]++
	n := a.requests[r.URL.Path]
	if strings.HasSuffix(r.URL.Path, "dv_other1/dimensions") && n <= 2 {
		a.throttled++
		if n == 1 {
			w.Header().Set("Retry-After", "0")
		}
		w.WriteHeader(429)
		fmt.Fprint(w, `{"error_code":"429050","message":"Too many requests"}`)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // data dataviews {id} [kind]
	if len(parts) < 3 || parts[2] != "dv_other1" {
		w.WriteHeader(404)
		fmt.Fprint(w, `{"errorCode":"resource_not_found","errorDescription":"Data view not found","errorId":"x"}`)
		return
	}
	if len(parts) == 3 {
		fmt.Fprint(w, `{"id":"dv_other1","name":"Other Org View","owner":{"name":"Sam"},"brandNewField":{"a":1}}`)
		return
	}
	const perPage = 7
	total := map[string]int{"metrics": 17, "dimensions": 23}[parts[3]]
	page := 0
	fmt.Sscan(r.URL.Query().Get("page"), &page)
	var content []map[string]any
	for i := page * perPage; i < min(total, (page+1)*perPage); i++ {
		content = append(content, map[string]any{
			"id": fmt.Sprintf("%s/c%02d", parts[3], i), "name": fmt.Sprintf("%s %02d", parts[3], i),
			"type": "string", "description": nil, "futureColumn": i,
		})
	}
	pages := (total + perPage - 1) / perPage
	json.NewEncoder(w).Encode(map[string]any{"content": content, "number": page, "size": perPage,
		"totalElements": total, "last": page+1 >= pages, "first": page == 0})
}

func TestAnotherCJAAPIEveryComponentLands(t *testing.T) {
	api := &otherAPI{requests: map[string]int{}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`{"org_id":"X@AdobeOrg","client_id":"cid","secret":"s3cr3t-value","scopes":"openid","ims_url":%q,"cja_url":%q}`, srv.URL, srv.URL)
	os.WriteFile(filepath.Join(dir, "myconfig.json"), []byte(cfg), 0o600)

	r := runIn(t, dir, nil, nil, "--batch", "--continue-on-error", "--format", "all", "dv_other1", "dv_gone")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "Successful: 1") || !strings.Contains(r.stdout, "✗ dv_gone") {
		t.Fatalf("summary:\n%s", r.stdout)
	}
	// One refresh after the revocation; a third token request is possible
	// when dv_gone's 404 cancels the sibling request that was fetching it.
	if api.tokens < 2 || api.tokens > 3 || api.throttled != 2 {
		t.Fatalf("tokens %d (want one refresh), 429s %d", api.tokens, api.throttled)
	}
	f, err := excelize.OpenFile(filepath.Join(dir, "CJA_DataView_Other_Org_View_dv_other1_SDR.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sheet, want := range map[string]int{"Metrics": 17, "Dimensions": 23} {
		rows, _ := f.GetRows(sheet)
		if len(rows)-1 != want {
			t.Errorf("%s: %d rows, want %d", sheet, len(rows)-1, want)
		}
		if !strings.Contains(strings.Join(rows[0], ","), "futureColumn") {
			t.Errorf("%s lost the unknown column: %v", sheet, rows[0])
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "CJA_DataView_Other_Org_View_dv_other1_SDR.json"))
	var doc struct{ Metrics, Dimensions []any }
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Metrics) != 17 || len(doc.Dimensions) != 23 {
		t.Fatalf("json: %v, %d metrics, %d dimensions", err, len(doc.Metrics), len(doc.Dimensions))
	}
}

func TestProgressBarOnlyOnATerminal(t *testing.T) {
	for _, tc := range []struct {
		terminal, quiet bool
		want            bool
	}{{true, false, true}, {false, false, false}, {true, true, false}} {
		dir := t.TempDir()
		args := []string{"--demo", "--batch", "dv_677ea9291244fd082f02dd42"}
		if tc.quiet {
			args = append(args, "-q")
		}
		var out, errb strings.Builder
		Run(t.Context(), Env{Args: args, Stdout: &out, Stderr: &errb, WorkDir: dir, StderrIsTerminal: tc.terminal,
			Getenv: func(string) string { return "" }})
		if got := strings.Contains(errb.String(), "] 1/1 data views"); got != tc.want {
			t.Errorf("terminal=%v quiet=%v: bar drawn %v\n%q", tc.terminal, tc.quiet, got, errb.String())
		}
	}
}
