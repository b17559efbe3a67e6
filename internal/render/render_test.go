package render

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/quality"
	"github.com/cja-sdr/cja-sdr/internal/sdr"
)

const (
	formulaName = `=HYPERLINK("http://x","y")`
	scriptName  = `<script>alert(1)</script>`
	pipeName    = "a|b\nc"
	ctrlName    = "Ctrl\x01Name\x1f"
	emojiName   = "Revenue 💰"
	rtlName     = "مرحبا بالعالم"
	longLen     = 40000
)

// fixture is a ~50 component document with everything renderers must
// survive: nested values, null/""/"n/a"/absent descriptions, a formula-like
// name, a 40,000-char value, control characters, emoji, RTL text, HTML and
// Markdown metacharacters, negative numbers and a duplicate name.
func fixture() *sdr.Document {
	var metrics, dims []cja.Component
	for i := range 50 {
		c := cja.Component{
			"id":   fmt.Sprintf("metrics/m%02d", i),
			"name": fmt.Sprintf("Metric %02d", i),
			"type": []string{"int", "decimal", "currency"}[i%3],
			"usageSummary": map[string]any{
				"count": float64(i), "lastUsed": "2025-01-01", "nested": map[string]any{"b": []any{1.0, nil}, "a": true},
			},
			"tags":    []any{"t1", fmt.Sprintf("t%d", i)},
			"hasData": i%2 == 0,
			"offset":  -5.5 + float64(i),
		}
		switch i % 5 {
		case 0:
			c["description"] = nil
		case 1:
			c["description"] = ""
		case 2:
			c["description"] = "n/a"
		case 3: // absent
		case 4:
			c["description"] = fmt.Sprintf("Description %d", i)
		}
		if i < 20 {
			metrics = append(metrics, c)
		} else {
			c["id"] = fmt.Sprintf("variables/d%02d", i)
			c["persistenceSetting"] = map[string]any{"enabled": true}
			dims = append(dims, c)
		}
	}
	metrics[1]["name"] = formulaName
	metrics[2]["name"] = emojiName
	metrics[3]["name"] = ctrlName
	metrics[4]["name"] = "Metric 05" // duplicate of metrics[5]
	metrics[6]["note"] = "+cmd|' /C calc'!A0"
	metrics[7]["note"] = "-5"
	dims[0]["name"] = scriptName
	dims[1]["name"] = rtlName
	dims[2]["name"] = pipeName
	dims[3]["description"] = strings.Repeat("ab", longLen/2)
	issues := quality.Check(metrics, dims)
	return &sdr.Document{
		Generated:   time.Date(2025, 6, 1, 10, 20, 30, 0, time.FixedZone("CEST", 2*3600)),
		ToolVersion: "test",
		DataView: cja.DataView{
			"id": "dv_677ea9291244fd082f02dd42", "name": "Web & App <Prod>", "description": "Main",
			"owner":             map[string]any{"name": "Jane", "type": "imsUser"},
			"sessionDefinition": map[string]any{"numPeriods": 30.0, "granularity": "minute"},
		},
		Metrics:    metrics,
		Dimensions: dims,
		Issues:     issues,
	}
}

const base = "out/CJA_DataView_Web_App_Prod_dv_677ea9291244fd082f02dd42_SDR"

func writeAll(t *testing.T, doc *sdr.Document) *memStore {
	t.Helper()
	st := newMemStore()
	objs, err := Write(context.Background(), st, "out/", doc, Formats)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := st.List(context.Background(), "")
	var got []string
	for _, o := range objs {
		got = append(got, o.Key)
	}
	slices.Sort(got)
	if !reflect.DeepEqual(got, keys) {
		t.Fatalf("returned objects %v, stored %v", got, keys)
	}
	return st
}

func get(t *testing.T, st *memStore, key string) []byte {
	t.Helper()
	b, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return b
}

func TestWriteKeys(t *testing.T) {
	st := writeAll(t, fixture())
	keys, _ := st.List(context.Background(), "")
	want := []string{
		base + ".html", base + ".json", base + ".md", base + ".xlsx",
		base + "_csv/Data Quality.csv", base + "_csv/DataView.csv", base + "_csv/Dimensions.csv",
		base + "_csv/Metadata.csv", base + "_csv/Metrics.csv",
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys\n got %q\nwant %q", keys, want)
	}
}

// TestRecordCountsAcrossFormats is the contract of the shared sheet view:
// each format carries exactly the rows of each sheet.
func TestRecordCountsAcrossFormats(t *testing.T) {
	doc := fixture()
	st := writeAll(t, doc)
	want := map[string]int{}
	for _, sh := range doc.Sheets() {
		want[sh.Name] = len(sh.Rows)
	}
	if want[sdr.SheetDataQuality] < 4 || want[sdr.SheetMetrics] != 20 || want[sdr.SheetDimensions] != 30 {
		t.Fatalf("fixture too small: %v", want)
	}

	counts := map[string]map[string]int{
		"excel":    excelCounts(t, get(t, st, base+".xlsx")),
		"csv":      {},
		"json":     jsonCounts(t, get(t, st, base+".json")),
		"html":     sectionCounts(string(get(t, st, base+".html")), `<section id="`, "<tr", 1, true),
		"markdown": sectionCounts(string(get(t, st, base+".md")), "\n## ", "|", 2, false),
	}
	for name := range want {
		r := csv.NewReader(bytes.NewReader(get(t, st, base+"_csv/"+name+".csv")))
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("csv %s: %v", name, err)
		}
		counts["csv"][name] = len(recs) - 1
	}
	for format, got := range counts {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s record counts %v, want %v", format, got, want)
		}
	}
}

func jsonCounts(t *testing.T, b []byte) map[string]int {
	var doc struct {
		Metadata    map[string]any   `json:"metadata"`
		DataView    map[string]any   `json:"data_view"`
		Metrics     []map[string]any `json:"metrics"`
		Dimensions  []map[string]any `json:"dimensions"`
		DataQuality []map[string]any `json:"data_quality"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("json: %v", err)
	}
	return map[string]int{
		sdr.SheetMetadata:    len(doc.Metadata) - 1, // minus "Issue Summary"
		sdr.SheetDataQuality: len(doc.DataQuality),
		sdr.SheetDataView:    len(doc.DataView),
		sdr.SheetMetrics:     len(doc.Metrics),
		sdr.SheetDimensions:  len(doc.Dimensions),
	}
}

// sectionCounts splits a page at each sheet's heading and counts the lines
// (Markdown) or rows (HTML, in the "data" table only) minus the header rows.
func sectionCounts(page, sep, rowPrefix string, headerRows int, html bool) map[string]int {
	out := map[string]int{}
	for _, sec := range strings.Split(page, sep)[1:] {
		name := sec[:strings.IndexAny(sec, "\"\n")]
		if html {
			name = strings.ReplaceAll(name, "-", " ")
			sec = sec[strings.Index(sec, `<table class="data">`):]
		}
		n := 0
		for line := range strings.SplitSeq(sec, "\n") {
			if strings.HasPrefix(line, rowPrefix) || (html && strings.HasPrefix(line, `<table class="data"><thead><tr>`)) {
				n++
			}
		}
		for _, sh := range []string{sdr.SheetMetadata, sdr.SheetDataQuality, sdr.SheetDataView, sdr.SheetMetrics, sdr.SheetDimensions} {
			if strings.EqualFold(sh, name) {
				name = sh
			}
		}
		out[name] = n - headerRows
	}
	return out
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"excel", []string{"excel"}, false},
		{"XLSX", []string{"excel"}, false},
		{"md", []string{"markdown"}, false},
		{"all", Formats, false},
		{" json , csv,json", []string{"csv", "json"}, false},
		{"html,all", Formats, false},
		{"pdf", nil, true},
		{"", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if (err != nil) != tt.err || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseFormat(%q) = %v, %v", tt.in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "excel, csv, json, html, markdown") {
			t.Errorf("error %q does not list the valid formats", err)
		}
	}
}

func TestCSV(t *testing.T) {
	st := writeAll(t, fixture())
	recs, err := csv.NewReader(bytes.NewReader(get(t, st, base+"_csv/Metrics.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int { return slices.Index(recs[0], name) }
	byName := map[string][]string{}
	for _, r := range recs[1:] {
		byName[r[col("id")]] = r
	}
	if got := byName["metrics/m01"][col("name")]; got != "'"+formulaName {
		t.Errorf("formula name = %q, want it neutralised", got)
	}
	if got := byName["metrics/m06"][col("note")]; got != "'+cmd|' /C calc'!A0" {
		t.Errorf("+ cell = %q", got)
	}
	if got := byName["metrics/m07"][col("note")]; got != "'-5" {
		t.Errorf("text \"-5\" = %q, want neutralised", got)
	}
	if got := byName["metrics/m00"][col("offset")]; got != "-5.5" {
		t.Errorf("numeric cell = %q, want the plain negative number", got)
	}
	if got := byName["metrics/m03"][col("name")]; got != "CtrlName" {
		t.Errorf("control characters kept: %q", got)
	}
	dq, err := csv.NewReader(bytes.NewReader(get(t, st, base+"_csv/Data Quality.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(dq[0], sdr.IssueColumns) {
		t.Errorf("DQ CSV must start with the table header, got %q", dq[0])
	}
}

func TestJSONFidelity(t *testing.T) {
	doc := fixture()
	st := writeAll(t, doc)
	var got struct {
		Metadata    map[string]any  `json:"metadata"`
		DataView    map[string]any  `json:"data_view"`
		Metrics     []cja.Component `json:"metrics"`
		Dimensions  []cja.Component `json:"dimensions"`
		DataQuality []quality.Issue `json:"data_quality"`
	}
	b := get(t, st, base+".json")
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Metrics, doc.Metrics) || !reflect.DeepEqual(got.Dimensions, doc.Dimensions) {
		t.Error("components did not round-trip unchanged")
	}
	if !reflect.DeepEqual(cja.DataView(got.DataView), doc.DataView) {
		t.Error("data view did not round-trip")
	}
	if !reflect.DeepEqual(got.DataQuality, doc.Issues) {
		t.Error("issues did not round-trip")
	}
	if got.Metadata["Data View ID"] != "dv_677ea9291244fd082f02dd42" || got.Metadata["Total Metrics"] != 20.0 {
		t.Errorf("metadata %v", got.Metadata)
	}
	if sum, ok := got.Metadata["Issue Summary"].(map[string]any); !ok || len(sum) != 5 {
		t.Errorf("issue summary %v", got.Metadata["Issue Summary"])
	}
	// The top-level keys come in the documented order.
	var order []string
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		order = append(order, k.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	if want := []string{"metadata", "data_view", "metrics", "dimensions", "data_quality"}; !reflect.DeepEqual(order, want) {
		t.Errorf("key order %v", order)
	}
}

func TestHTML(t *testing.T) {
	page := string(get(t, writeAll(t, fixture()), base+".html"))
	if strings.Contains(page, "<script") {
		t.Error("a <script> from the data reached the page unescaped")
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("escaped script name missing")
	}
	for _, external := range []string{"<link", "src=", "@import", "url("} {
		if strings.Contains(page, external) {
			t.Errorf("page references external assets (%s)", external)
		}
	}
	if !strings.Contains(page, `<title>SDR: Web &amp; App &lt;Prod&gt;</title>`) {
		t.Error("title not escaped")
	}
	for _, want := range []string{`class="summary"`, `<tr class="sev-low">`, "🔵 LOW", emojiName, rtlName, `<td class="name">`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	md := string(get(t, writeAll(t, fixture()), base+".md"))
	if !strings.Contains(md, `| a\|b<br>c |`) {
		t.Error("pipe/newline in a cell not escaped")
	}
	if !strings.Contains(md, "&lt;script&gt;") {
		t.Error("HTML in a cell not escaped")
	}
	for line := range strings.SplitSeq(md, "\n") {
		if strings.HasPrefix(line, "|") && !strings.HasSuffix(line, "|") {
			t.Errorf("broken table row %q", line)
		}
	}
	if !strings.Contains(md, "**Issue Summary:** 🔴 CRITICAL: 0") {
		t.Error("issue summary line missing")
	}
}

// TestCleanupOnFailure: a failed Put anywhere leaves no partial SDR.
func TestCleanupOnFailure(t *testing.T) {
	for _, tc := range []struct {
		name     string
		formats  []string
		failPut  int
		inFormat string
	}{
		{"second format fails", []string{"excel", "json"}, 2, "json"},
		{"inside csv", []string{"csv"}, 3, "csv"},
		{"excel after csv", []string{"excel", "csv"}, 4, "csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newMemStore()
			st.failPut = tc.failPut
			objs, err := Write(context.Background(), st, "", fixture(), tc.formats)
			if !errors.Is(err, errInjected) {
				t.Fatalf("err = %v, want the injected failure", err)
			}
			if !strings.Contains(err.Error(), "write "+tc.inFormat) {
				t.Errorf("error %q does not name the format %s", err, tc.inFormat)
			}
			if objs != nil {
				t.Errorf("objects returned on failure: %v", objs)
			}
			if keys, _ := st.List(context.Background(), ""); len(keys) != 0 {
				t.Errorf("partial SDR left behind: %v", keys)
			}
		})
	}
}

func TestCancellation(t *testing.T) {
	t.Run("before start", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		st := newMemStore()
		if _, err := Write(ctx, st, "", fixture(), Formats); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if st.puts != 0 {
			t.Errorf("%d puts after cancellation", st.puts)
		}
	})
	t.Run("between formats", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		st := newMemStore()
		st.afterPut = func(int) { cancel() }
		_, err := Write(ctx, st, "", fixture(), []string{"excel", "json", "html"})
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "write json") {
			t.Fatalf("err = %v", err)
		}
		if keys, _ := st.List(context.Background(), ""); len(keys) != 0 {
			t.Errorf("left behind after cancellation: %v", keys)
		}
	})
	t.Run("inside a big sheet", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		j := &job{ctx: ctx, st: newMemStore(), doc: sdr.SyntheticDocument(3000)}
		j.sheets = j.doc.Sheets()
		if err := writeExcel(j); !errors.Is(err, context.Canceled) {
			t.Fatalf("writeExcel err = %v", err)
		}
		if err := writeCSV(j); !errors.Is(err, context.Canceled) {
			t.Fatalf("writeCSV err = %v", err)
		}
	})
}

func TestUnknownFormat(t *testing.T) {
	st := newMemStore()
	if _, err := Write(context.Background(), st, "", fixture(), []string{"excel", "pdf"}); err == nil {
		t.Fatal("no error for an unknown format")
	}
	if st.puts != 0 {
		t.Error("wrote before validating formats")
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"tab\tnl\ncr\r", "tab\tnl\ncr\r"},
		{"a\x00b\x07c\x1fd", "abcd"},
		{"x\uFFFEy\uFFFFz", "xyz"},
		{"surrogate\xed\xa0\x80half", "surrogatehalf"},
		{"bad\xffbyte", "badbyte"},
		{"emoji 🎉 rtl مرحبا \u200f", "emoji 🎉 rtl مرحبا \u200f"},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in); got != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncateCell(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
	}{
		{"ascii", strings.Repeat("a", 40000)},
		{"emoji", strings.Repeat("🎉", 20000)}, // 40,000 UTF-16 units in 20,000 runes
		{"mixed", strings.Repeat("a🎉é", 12000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := truncateCell(tc.in)
			units := len(utf16.Encode([]rune(got)))
			if units > maxCellUnits {
				t.Fatalf("%d UTF-16 units, limit %d", units, maxCellUnits)
			}
			if units < maxCellUnits-40 {
				t.Errorf("cut too much: %d units", units)
			}
			kept := strings.TrimSuffix(got, got[strings.LastIndex(got, "…"):])
			removed := len([]rune(tc.in)) - len([]rune(kept))
			if want := fmt.Sprintf("…[truncated %d chars]", removed); !strings.HasSuffix(got, want) {
				t.Errorf("suffix %q, want %q", got[len(got)-30:], want)
			}
			if !strings.HasPrefix(tc.in, kept) {
				t.Error("kept part is not a prefix (split a character?)")
			}
		})
	}
	short := strings.Repeat("🎉", 16000) // 32,000 units: fits
	if truncateCell(short) != short {
		t.Error("a string within the limit was cut")
	}
}

// BenchmarkFormats10k measures each format alone on a 10,000-component
// document, sheet building included.
func BenchmarkFormats10k(b *testing.B) {
	doc := sdr.SyntheticDocument(10000)
	for _, f := range Formats {
		b.Run(f, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Write(context.Background(), discardStore{}, "", doc, []string{f}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
