package generate

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/quality"
	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

func demoClient(t *testing.T, opts sampleorg.Options) cja.Fetcher {
	t.Helper()
	sim := sampleorg.New(opts)
	d := sampleorg.DemoCredentials()
	c, err := cja.New(cja.Config{OrgID: d.OrgID, ClientID: d.ClientID, Secret: d.Secret, Scopes: d.Scopes,
		IMSURL: sampleorg.DemoIMSURL, CJAURL: sampleorg.DemoCJAURL, HTTPClient: sim.Client(), RateLimit: -1, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// brokenCache fails every call, like DynamoDB being unreachable.
type brokenCache struct{ gets, puts int }

func (b *brokenCache) Get(context.Context, string) ([]quality.Issue, bool, error) {
	b.gets++
	return nil, false, errors.New("dynamodb unreachable")
}
func (b *brokenCache) Put(context.Context, string, []quality.Issue) error {
	b.puts++
	return errors.New("dynamodb unreachable")
}

func TestGenerateWritesEveryFormatAndCountsIssues(t *testing.T) {
	st := store.NewMemory()
	bc := &brokenCache{}
	g := &Generator{Fetcher: demoClient(t, sampleorg.Options{}), Store: st, Cache: bc,
		Options: Options{Formats: []string{"excel", "json", "csv", "html", "markdown"}, Prefix: "run/"}}
	res := g.Generate(context.Background(), sampleorg.MessyDataViewID)
	if res.Status != report.Success {
		t.Fatalf("status %s: %s", res.Status, res.Error)
	}
	if bc.gets != 1 || bc.puts != 1 {
		t.Fatalf("cache used %d/%d times; a failing cache must be tried and then ignored", bc.gets, bc.puts)
	}
	if res.Metrics == 0 || res.Dimensions == 0 || res.Issues == 0 || res.IssuesBySeverity["HIGH"] == 0 {
		t.Fatalf("counts %+v", res)
	}
	keys, _ := st.List(context.Background(), "run/")
	if len(keys) != 4+5 || len(res.Outputs) != len(keys) {
		t.Fatalf("keys %v, outputs %d", keys, len(res.Outputs))
	}
}

func TestGenerateMaxIssuesAndSkipValidation(t *testing.T) {
	f := demoClient(t, sampleorg.Options{})
	g := &Generator{Fetcher: f, Store: store.NewMemory(), Options: Options{MaxIssues: 2}}
	if res := g.Generate(context.Background(), sampleorg.MessyDataViewID); res.Issues != 2 {
		t.Fatalf("--max-issues 2 kept %d", res.Issues)
	}
	g = &Generator{Fetcher: f, Store: store.NewMemory(), Options: Options{SkipValidation: true}}
	if res := g.Generate(context.Background(), sampleorg.MessyDataViewID); res.Status != report.Success || res.Issues != 0 || res.IssuesBySeverity != nil {
		t.Fatalf("skip validation: %+v", res)
	}
}

func TestGenerateFailuresAreResults(t *testing.T) {
	st := store.NewMemory()
	g := &Generator{Fetcher: demoClient(t, sampleorg.Options{}), Store: st}
	for id, want := range map[string]string{
		sampleorg.EmptyDataViewID:     "No metrics or dimensions found - data view may be empty or inaccessible",
		sampleorg.MissingDataViewID:   "Data view validation failed",
		sampleorg.ForbiddenDataViewID: "Data view validation failed",
	} {
		res := g.Generate(context.Background(), id)
		if res.Status != report.Failed || !strings.HasPrefix(res.Error, want) || res.DataViewID != id {
			t.Errorf("%s: %s %q", id, res.Status, res.Error)
		}
	}
	if keys, _ := st.List(context.Background(), ""); len(keys) != 0 {
		t.Fatalf("failed data views left files: %v", keys)
	}
}

func TestGenerateRetryableServerFailure(t *testing.T) {
	f := demoClient(t, sampleorg.Options{Faults: sampleorg.OnPath("/metrics", sampleorg.Always(sampleorg.FaultUnavailable))})
	res := (&Generator{Fetcher: f, Store: store.NewMemory()}).Generate(context.Background(), sampleorg.ProductionDataViewID)
	if res.Status != report.Failed || !res.Retryable {
		t.Fatalf("%+v", res)
	}
}

func TestGenerateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st := store.NewMemory()
	res := (&Generator{Fetcher: demoClient(t, sampleorg.Options{}), Store: st}).Generate(ctx, sampleorg.ProductionDataViewID)
	if res.Status != report.Cancelled {
		t.Fatalf("%+v", res)
	}
}
