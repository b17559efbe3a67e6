package render

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/cja-sdr/cja-sdr/internal/sdr"
)

var sheetOrder = []string{"Metadata", "Data Quality", "DataView", "Metrics", "Dimensions"}

// dqHeaderRow is where the Data Quality table starts: below the title, the
// summary header, five severities and a blank row.
const dqHeaderRow = 9

func headerRowOf(sheet string) int {
	if sheet == sdr.SheetDataQuality {
		return dqHeaderRow
	}
	return 1
}

func openXLSX(t *testing.T, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("reopen workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func excelCounts(t *testing.T, b []byte) map[string]int {
	f := openXLSX(t, b)
	out := map[string]int{}
	for _, name := range f.GetSheetList() {
		rows, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = len(rows) - headerRowOf(name)
	}
	return out
}

// cellMap reads a sheet into column-name -> values per data row.
func cellMap(t *testing.T, f *excelize.File, sheet string) (cols []string, rows [][]string) {
	t.Helper()
	all, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	h := headerRowOf(sheet)
	return all[h-1], all[h:]
}

// sheetAutoFilters returns each sheet's <autoFilter ref> from the
// worksheet XML. excelize has no getter for it, and the workbook's
// _xlnm._FilterDatabase name alone is not enough: excelize writes that name
// even when the sheet's autoFilter element is lost (AutoFilter after Flush).
func sheetAutoFilters(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	decode := func(name string, v any) {
		rc, err := zr.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if err := xml.NewDecoder(rc).Decode(v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	decode("xl/workbook.xml", &wb)
	decode("xl/_rels/workbook.xml.rels", &rels)
	target := map[string]string{}
	for _, r := range rels.Rels {
		target[r.ID] = "xl/" + strings.TrimPrefix(r.Target, "/xl/")
	}
	out := map[string]string{}
	for _, sh := range wb.Sheets {
		var ws struct {
			AutoFilter *struct {
				Ref string `xml:"ref,attr"`
			} `xml:"autoFilter"`
		}
		decode(target[sh.RID], &ws)
		if ws.AutoFilter != nil {
			out[sh.Name] = ws.AutoFilter.Ref
		}
	}
	return out
}

func TestExcelStructure(t *testing.T) {
	data := get(t, writeAll(t, fixture()), base+".xlsx")
	f := openXLSX(t, data)
	sheetFilters := sheetAutoFilters(t, data)
	if got := f.GetSheetList(); !reflect.DeepEqual(got, sheetOrder) {
		t.Fatalf("sheets %v, want %v", got, sheetOrder)
	}
	if f.GetActiveSheetIndex() != 0 {
		t.Errorf("active sheet %d, want Metadata", f.GetActiveSheetIndex())
	}

	filters := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" {
			filters[dn.Scope] = dn.RefersTo
		}
	}
	for _, name := range sheetOrder {
		h := headerRowOf(name)
		panes, err := f.GetPanes(name)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != h || panes.TopLeftCell != "A"+strconv.Itoa(h+1) {
			t.Errorf("%s: panes %+v, want the header row %d frozen", name, panes, h)
		}
		cols, rows := cellMap(t, f, name)
		last, _ := excelize.ColumnNumberToName(len(cols))
		want := fmt.Sprintf("'%s'!$A$%d:$%s$%d", name, h, last, h+len(rows))
		if filters[name] != want {
			t.Errorf("%s: filter database name %q, want %q", name, filters[name], want)
		}
		// excelize writes the ref in absolute form, as it does the name.
		if ref := fmt.Sprintf("A%d:%s%d", h, last, h+len(rows)); strings.ReplaceAll(sheetFilters[name], "$", "") != ref {
			t.Errorf("%s: sheet autoFilter %q, want %q", name, sheetFilters[name], ref)
		}
		// Header style: bold white on dark blue.
		st := styleOf(t, f, name, "A"+strconv.Itoa(h))
		if st.Font == nil || !st.Font.Bold || st.Font.Color != "FFFFFF" || fillOf(st) != headerFill {
			t.Errorf("%s: header style %+v / %+v", name, st.Font, st.Fill)
		}
	}
}

func styleOf(t *testing.T, f *excelize.File, sheet, cell string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func fillOf(st *excelize.Style) string {
	if len(st.Fill.Color) == 0 {
		return ""
	}
	return strings.TrimPrefix(strings.ToUpper(st.Fill.Color[0]), "#")
}

func TestExcelDataQualitySheet(t *testing.T) {
	doc := fixture()
	f := openXLSX(t, get(t, writeAll(t, doc), base+".xlsx"))
	const sh = "Data Quality"
	// The summary block.
	if v, _ := f.GetCellValue(sh, "A1"); v != "Issue Summary" {
		t.Errorf("A1 = %q", v)
	}
	for i, kv := range doc.IssueSummary() {
		row := strconv.Itoa(3 + i)
		sev := kv[0].(string)
		if v, _ := f.GetCellValue(sh, "A"+row); v != withIcon(sev) {
			t.Errorf("summary A%s = %q", row, v)
		}
		if v, _ := f.GetCellValue(sh, "B"+row); v != strconv.Itoa(kv[1].(int)) {
			t.Errorf("summary B%s = %q, want %d", row, v, kv[1])
		}
	}
	// Each issue row is filled with its severity's colour on every cell.
	for i, is := range doc.Issues {
		row := strconv.Itoa(dqHeaderRow + 1 + i)
		v, _ := f.GetCellValue(sh, "A"+row)
		if v != withIcon(string(is.Severity)) {
			t.Errorf("A%s = %q, want the icon and %s", row, v, is.Severity)
		}
		want := fillColors[severityFills[string(is.Severity)]]
		for _, col := range []string{"A", "F"} {
			if got := fillOf(styleOf(t, f, sh, col+row)); got != want {
				t.Errorf("%s%s (%s) fill %q, want %q", col, row, is.Severity, got, want)
			}
		}
	}
}

func TestExcelCellSafety(t *testing.T) {
	f := openXLSX(t, get(t, writeAll(t, fixture()), base+".xlsx"))
	for _, sheet := range sheetOrder {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if fm, _ := f.GetCellFormula(sheet, ref); fm != "" {
					t.Errorf("%s!%s has a formula %q", sheet, ref, fm)
				}
			}
		}
	}
	cols, rows := cellMap(t, f, "Metrics")
	byID := map[string][]string{}
	for _, r := range rows {
		byID[r[2]] = r
	}
	if cols[0] != "name" || cols[1] != "type" || cols[2] != "id" || cols[3] != "description" {
		t.Fatalf("leading columns %v", cols[:4])
	}
	if got := byID["metrics/m01"][0]; got != formulaName {
		t.Errorf("formula-like name = %q, want the literal", got)
	}
	if got := byID["metrics/m03"][0]; got != "CtrlName" {
		t.Errorf("control characters kept: %q", got)
	}
	if got := byID["metrics/m02"][0]; got != emojiName {
		t.Errorf("emoji name = %q", got)
	}

	_, dims := cellMap(t, f, "Dimensions")
	var long string
	for _, r := range dims {
		if r[2] == "variables/d23" {
			long = r[3]
		}
		if r[2] == "variables/d21" && r[0] != rtlName {
			t.Errorf("RTL name = %q", r[0])
		}
	}
	if n := len(utf16.Encode([]rune(long))); n > maxCellUnits {
		t.Errorf("long cell has %d UTF-16 units", n)
	}
	kept := strings.Index(long, "…")
	if want := fmt.Sprintf("…[truncated %d chars]", longLen-kept); !strings.HasSuffix(long, want) {
		t.Errorf("long cell ends %q, want %q", long[max(0, len(long)-40):], want)
	}
}

func TestExcelStyles(t *testing.T) {
	f := openXLSX(t, get(t, writeAll(t, fixture()), base+".xlsx"))
	// Banded rows: the second data row is shaded, the first is not.
	if got := fillOf(styleOf(t, f, "Metrics", "C2")); got != "" {
		t.Errorf("first data row fill %q, want none", got)
	}
	if got := fillOf(styleOf(t, f, "Metrics", "C3")); got != bandFill {
		t.Errorf("second data row fill %q, want the band", got)
	}
	// The name column is bold; others are not.
	if st := styleOf(t, f, "Metrics", "A2"); st.Font == nil || !st.Font.Bold {
		t.Error("name cell not bold")
	}
	if st := styleOf(t, f, "Metrics", "B2"); st.Font != nil && st.Font.Bold {
		t.Error("type cell bold")
	}
	// Multi-line JSON wraps.
	cols, _ := cellMap(t, f, "Metrics")
	col, _ := excelize.ColumnNumberToName(indexOf(cols, "usageSummary") + 1)
	if st := styleOf(t, f, "Metrics", col+"2"); st.Alignment == nil || !st.Alignment.WrapText {
		t.Error("JSON cell does not wrap")
	}
	// Widths stay within bounds.
	for i := range cols {
		name, _ := excelize.ColumnNumberToName(i + 1)
		w, err := f.GetColWidth("Metrics", name)
		if err != nil || w < minWidth || w > maxWidth {
			t.Errorf("column %s width %v (%v)", name, w, err)
		}
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func BenchmarkWorkbook10k(b *testing.B) {
	doc := sdr.SyntheticDocument(10000)
	st := discardStore{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Write(context.Background(), st, "", doc, []string{"excel"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawStreamWriter10k is the baseline for BenchmarkWorkbook10k: the
// same cells (the document's sheets, built once outside the loop) written by
// a bare excelize StreamWriter with no styles, panes, filters or checks.
func BenchmarkRawStreamWriter10k(b *testing.B) {
	sheets := sdr.SyntheticDocument(10000).Sheets()
	b.ReportAllocs()
	for b.Loop() {
		if err := rawWorkbook(sheets, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func rawWorkbook(sheets []sdr.Sheet, w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName(f.GetSheetName(0), sheets[0].Name); err != nil {
		return err
	}
	for _, sh := range sheets[1:] {
		if _, err := f.NewSheet(sh.Name); err != nil {
			return err
		}
	}
	for _, sh := range sheets {
		sw, err := f.NewStreamWriter(sh.Name)
		if err != nil {
			return err
		}
		header := make([]any, len(sh.Columns))
		for i, c := range sh.Columns {
			header[i] = c
		}
		if err := sw.SetRow("A1", header); err != nil {
			return err
		}
		for r, row := range sh.Rows {
			if err := sw.SetRow("A"+strconv.Itoa(r+2), row); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	return f.Write(w)
}
