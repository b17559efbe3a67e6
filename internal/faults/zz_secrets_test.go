package faults

// This file's name sorts last so its final test runs after every other
// scenario of the suite and can search everything they left behind.

import (
	"context"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cja-sdr/cja-sdr/internal/awstest"
	"github.com/cja-sdr/cja-sdr/internal/generate"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

// TestSimTokenFormula checks that simToken is the simulator's: the secret
// scan looks for tokens computed with it.
func TestSimTokenFormula(t *testing.T) {
	sim := sampleorg.New(sampleorg.Options{})
	c := sampleorg.DemoCredentials()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.Secret}, "scope": {c.Scopes}}
	resp, err := sim.Client().PostForm(sampleorg.DemoIMSURL+"/ims/token/v3", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"access_token":"`+simToken(1)+`"`) {
		t.Fatalf("the simulator's first token is not simToken(1): %s", b)
	}
}

// echo returns a fault that answers with status and a body repeating what
// the request carried (its bearer token, or the secret of its form).
func echo(status int, what string) sampleorg.FaultFunc {
	return func(r *http.Request, _ int64) *sampleorg.Fault {
		var body string
		switch what {
		case "token":
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			body = `{"errorCode":"invalid_token","errorDescription":"Token ` + tok + ` is not valid for this org"}`
		case "secret":
			r.ParseForm()
			body = `{"error":"invalid_request","error_description":"client_secret ` + r.PostForm.Get("client_secret") + ` was not accepted"}`
		}
		return &sampleorg.Fault{Status: status, Body: body}
	}
}

// securityCases are runs built to make a secret or a token leak.
func securityCases() []faultCase {
	return []faultCase{
		{
			key:  "secret-echoed-by-ims",
			sim:  sampleorg.Options{Faults: onIMS(echo(400, "secret"))},
			args: append([]string{"--batch", "--log-level", "DEBUG"}, three...),
			exit: 1,
			says: []string{"CJA initialization failed", "[REDACTED]"},
		},
		{
			key:    "token-echoed-by-api",
			sim:    sampleorg.Options{Faults: onDV(dvFrance, echo(401, "token"))},
			args:   append([]string{"--continue-on-error", "--log-level", "DEBUG", "--format", "all"}, three...),
			status: map[string]report.Status{dvFrance: report.Failed, "*": report.Success},
			reason: map[string][]string{dvFrance: {"[REDACTED]", "is not valid for this org"}},
		},
		{
			key:    "debug-log-redacted",
			s:      setup{config: true},
			sim:    sampleorg.Options{Faults: onCJA(sampleorg.FailFirst(3, sampleorg.FaultThrottled))},
			args:   append([]string{"--log-level", "DEBUG", "--format", "all", "--enable-cache"}, three...),
			status: all3Success,
			says:   []string{"DEBUG"},
		},
		{
			key: "config-unquoted-secret",
			s: setup{config: true, prepare: func(t *testing.T, dir string) {
				c := sampleorg.DemoCredentials()
				writeFile(t, dir, "myconfig.json", `{"org_id": "`+c.OrgID+`", "client_id": "`+c.ClientID+`",
	  "secret": `+c.Secret+`, "scopes": "openid"}`)
			}},
			args: []string{dvProd},
			exit: 1,
			says: []string{"CJA initialization failed", "is not valid JSON: line 2, column"},
		},
		{
			key:  "config-secret-wrong-type",
			s:    setup{config: true, configJSON: map[string]any{"secret": []any{sampleorg.DemoCredentials().Secret}}},
			args: []string{dvProd},
			exit: 1,
			says: []string{"secret must be a string, not an array"},
		},
	}
}

func TestSecretsInFaults(t *testing.T) {
	for _, tc := range securityCases() {
		t.Run(tc.key, func(t *testing.T) {
			scenario(t, tc.key)
			opts := tc.sim
			s := tc.s
			s.sim = newSim(opts)
			r := runCLI(t, s, tc.args...)
			o := checkInvariant(t, r) // searches every output for secrets and tokens
			if r.code != tc.exit {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.exit, r.stdout, r.stderr)
			}
			ids, _ := r.requested()
			wantStatus(t, o, ids, tc.status)
			all := r.console() + r.logText()
			for _, want := range tc.says {
				if !strings.Contains(all, want) {
					t.Errorf("the user never sees %q:\n%s", want, all)
				}
			}
			for id, wants := range tc.reason {
				for _, want := range wants {
					if !strings.Contains(o.reason[id], want) {
						t.Errorf("%s: reason %q lacks %q", id, o.reason[id], want)
					}
				}
			}
		})
	}
}

// TestS3KeysStayUnderPrefix generates SDRs of data views whose names try
// to climb out of the run's prefix, into a real bucket.
func TestS3KeysStayUnderPrefix(t *testing.T) {
	scenario(t, "s3-keys-under-prefix")
	m := awstest.Moto(t)
	bucket := m.NewBucket(t)
	recordBucket(bucket)
	prefix := "sdr/2026/01/31/run-escape/"
	sim := newSim(sampleorg.Options{Faults: serve(traversalViews())})
	gen := &generate.Generator{Fetcher: engineClient(t, sim), Store: store.NewS3(m.S3(t), bucket, ""),
		Options: generate.Options{Formats: []string{"excel", "csv", "json", "html", "markdown"}, Prefix: prefix}}
	var ids []string
	for id := range traversalNames {
		ids = append(ids, id)
	}
	byID := checkResults(t, ids, runEngine(t, context.Background(), gen, ids))
	for id, r := range byID {
		if r.Status != report.Success {
			t.Errorf("%s: %s %q", id, r.Status, r.Error)
		}
	}
	checkStore(t, store.NewS3(m.S3(t), bucket, ""), prefix, byID)
}

// TestZZNothingLeaked searches everything the suite produced: every file of
// every run's working directory (logs, SDRs in every format, cache files),
// every stdout and stderr, and every object of every bucket the engine
// scenarios wrote to, for the client secrets and the access tokens. It also
// checks that no run wrote anywhere but its output directory, logs/ and its
// cache directory.
func TestZZNothingLeaked(t *testing.T) {
	scenario(t, "suite-wide-scan")
	suite.mu.Lock()
	dirs, texts, buckets := append([]string{}, suite.dirs...), append([]string{}, suite.texts...), append([]string{}, suite.s3...)
	suite.mu.Unlock()
	if len(dirs) < 20 {
		// Run alone (-run): give it something to search.
		r := runCLI(t, setup{config: true}, append([]string{"--log-level", "DEBUG", "--format", "all"}, three...)...)
		checkInvariant(t, r)
		dirs, texts = append(dirs, r.dir), append(texts, r.stdout, r.stderr)
	}
	if len(needles()) < 3 {
		t.Fatalf("nothing to look for: %v", needles())
	}
	checkNoSecrets(t, "", texts...)
	files := 0
	for _, dir := range dirs {
		checkNoSecrets(t, dir)
		files += len(walkFiles(dir))
	}
	if len(buckets) > 0 {
		client := awstest.Moto(t).S3(t)
		for _, b := range buckets {
			p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
			for p.HasMorePages() {
				page, err := p.NextPage(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range page.Contents {
					out, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(b), Key: o.Key})
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(out.Body)
					out.Body.Close()
					checkNoSecrets(t, "", string(body), aws.ToString(o.Key))
					files++
				}
			}
		}
	}
	// The suite root holds only the runs' directories: nothing escaped them.
	entries, _ := os.ReadDir(suite.root)
	for _, e := range entries {
		if !e.IsDir() {
			t.Errorf("file outside every run's directory: %s", filepath.Join(suite.root, e.Name()))
		}
	}
	t.Logf("searched %d texts and %d files for %d secrets and tokens", len(texts), files, len(needles()))

	// A full run (no -run filter) must have run every catalogued scenario
	// but those ./infra runs through the state machine.
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
		for _, s := range Scenarios {
			if _, ok := ran.Load(s.Key); !ok && !s.ThroughStateMachine() {
				t.Errorf("scenario %q is catalogued but did not run", s.Key)
			}
		}
	}
}
