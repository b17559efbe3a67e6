package render

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/cja-sdr/cja-sdr/internal/quality"
	"github.com/cja-sdr/cja-sdr/internal/sdr"
)

// Colours of the workbook (RGB hex). Severity fills follow the usual
// traffic-light reading: red, orange, yellow, then calm blue and grey.
const (
	headerFill = "1F4E78" // dark blue, white bold text
	bandFill   = "F2F2F2" // every other data row
)

// fill indexes the row fills a cell can have.
type fill int

const (
	fillNone fill = iota
	fillBand
	fillCritical
	fillHigh
	fillMedium
	fillLow
	fillInfo
	nFills
)

var fillColors = [nFills]string{
	fillBand:     bandFill,
	fillCritical: "FFC7CE",
	fillHigh:     "FFD8B1",
	fillMedium:   "FFEB9C",
	fillLow:      "DDEBF7",
	fillInfo:     "E7E6E6",
}

var severityFills = map[string]fill{
	string(quality.Critical): fillCritical,
	string(quality.High):     fillHigh,
	string(quality.Medium):   fillMedium,
	string(quality.Low):      fillLow,
	string(quality.Info):     fillInfo,
}

// Column widths in characters: computed from the header and the first
// widthSample rows only, so a 50,000-row sheet costs no more than a small one.
const (
	minWidth    = 10
	maxWidth    = 60
	widthSample = 200
)

// styles are created once per workbook; a cell's style is picked by its
// row fill, whether its column is bold, and whether it wraps (multi-line
// text such as nested JSON).
type styles struct {
	header, title int
	cell          [nFills][2][2]int // [fill][bold][wrap]
}

func newStyles(f *excelize.File) (*styles, error) {
	s := &styles{}
	var err error
	if s.header, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{headerFill}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	}); err != nil {
		return nil, err
	}
	if s.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}}); err != nil {
		return nil, err
	}
	for fl := range nFills {
		for bold := range 2 {
			for wrap := range 2 {
				st := &excelize.Style{
					Font:      &excelize.Font{Bold: bold == 1},
					Alignment: &excelize.Alignment{Vertical: "top", WrapText: wrap == 1},
				}
				if c := fillColors[fl]; c != "" {
					st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c}}
				}
				if s.cell[fl][bold][wrap], err = f.NewStyle(st); err != nil {
					return nil, err
				}
			}
		}
	}
	return s, nil
}

// writeExcel stores the workbook: sheets in document order, every sheet
// streamed (excelize's StreamWriter keeps memory flat for big sheets), a
// frozen header row and an autofilter on every table.
func writeExcel(j *job) error {
	f := excelize.NewFile()
	defer f.Close() // removes the stream writers' temp files
	f.SetZipWriter(newZipWriter)
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	// Reuse the default sheet as the first one, so no "Sheet1" is left over.
	if err := f.SetSheetName(f.GetSheetName(0), j.tables()[0].Name); err != nil {
		return err
	}
	for _, sh := range j.tables()[1:] {
		if _, err := f.NewSheet(sh.Name); err != nil {
			return err
		}
	}
	for _, sh := range j.tables() {
		if err := excelSheet(j, f, st, sh); err != nil {
			return fmt.Errorf("sheet %s: %w", sh.Name, err)
		}
	}
	// No SetActiveSheet: the first sheet is active already, and that call
	// would re-read every streamed sheet into memory (7x the write time).
	if err := j.ctx.Err(); err != nil {
		return err
	}
	return j.put(j.base+".xlsx", func(w *bufio.Writer) error { return f.Write(w) })
}

// excelSheet streams one sheet. excelize's StreamWriter takes column widths
// and panes only before the first row, and the autofilter only before Flush
// (after it the filter silently does not appear).
func excelSheet(j *job, f *excelize.File, st *styles, sh sdr.Sheet) error {
	sw, err := f.NewStreamWriter(sh.Name)
	if err != nil {
		return err
	}
	dq := sh.Name == sdr.SheetDataQuality
	var summary [][2]any
	headerRow := 1
	if dq {
		summary = j.doc.IssueSummary()
		headerRow = len(summary) + 4 // title, header, one row per severity, a blank row
	}
	if len(sh.Columns) > excelize.MaxColumns {
		return fmt.Errorf("%w: %d columns, more than a worksheet holds (%d); use --format json or csv for this data view",
			ErrTooWide, len(sh.Columns), excelize.MaxColumns)
	}
	if err := setColumnWidths(sw, columnWidths(sh, dq)); err != nil {
		return err
	}
	first := "A" + strconv.Itoa(headerRow+1)
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: headerRow, TopLeftCell: first, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: first, ActiveCell: first, Pane: "bottomLeft"}},
	}); err != nil {
		return err
	}
	if dq {
		if err := excelSummary(sw, st, summary); err != nil {
			return err
		}
	}

	header := make([]any, len(sh.Columns))
	for i, c := range sh.Columns {
		header[i] = excelize.Cell{StyleID: st.header, Value: excelText(c)}
	}
	if err := sw.SetRow("A"+strconv.Itoa(headerRow), header); err != nil {
		return err
	}

	// One Cell per column, reused for every row: SetRow accepts *Cell, and
	// pointers in the []any do not allocate.
	cells := make([]excelize.Cell, len(sh.Columns))
	row := make([]any, len(cells))
	for i := range cells {
		row[i] = &cells[i]
	}
	bold := boldColumn(sh)
	for r, values := range sh.Rows {
		if err := j.rowCheck(r); err != nil {
			return err
		}
		fl := fill(r % 2) // fillNone, fillBand, fillNone, ...
		if dq {
			sev, _ := values[0].(string)
			fl = severityFills[sev]
		}
		for k, v := range values {
			if dq && k == 0 {
				v = withIcon(formatCell(v))
			}
			val, wrap := excelValue(v)
			cells[k] = excelize.Cell{StyleID: st.cell[fl][b2i(k == bold)][b2i(wrap)], Value: val}
		}
		if err := sw.SetRow("A"+strconv.Itoa(headerRow+1+r), row); err != nil {
			return err
		}
	}

	lastCol, err := excelize.ColumnNumberToName(len(sh.Columns))
	if err != nil {
		return err
	}
	ref := fmt.Sprintf("A%d:%s%d", headerRow, lastCol, headerRow+len(sh.Rows))
	if err := f.AutoFilter(sh.Name, ref, nil); err != nil {
		return err
	}
	return sw.Flush()
}

// excelSummary writes the Issue Summary block (rows 1 to len+2) above the
// Data Quality table.
func excelSummary(sw *excelize.StreamWriter, st *styles, summary [][2]any) error {
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: st.title, Value: "Issue Summary"}}); err != nil {
		return err
	}
	if err := sw.SetRow("A2", []any{
		excelize.Cell{StyleID: st.header, Value: "Severity"},
		excelize.Cell{StyleID: st.header, Value: "Count"},
	}); err != nil {
		return err
	}
	for i, kv := range summary {
		sev := kv[0].(string)
		style := st.cell[severityFills[sev]][0][0]
		if err := sw.SetRow("A"+strconv.Itoa(3+i), []any{
			excelize.Cell{StyleID: style, Value: withIcon(sev)},
			excelize.Cell{StyleID: style, Value: kv[1]},
		}); err != nil {
			return err
		}
	}
	return nil
}

// excelValue makes a cell value safe for a workbook and says whether it
// needs wrapping. Strings are written by excelize as inline strings, never
// as formulas, so "=HYPERLINK(...)" stays text; they are cleaned of
// characters XML cannot hold and cut to Excel's cell limit with a marker.
func excelValue(v any) (any, bool) {
	s, ok := v.(string)
	if !ok {
		return v, false
	}
	t := excelText(s)
	wrap := strings.IndexByte(t, '\n') >= 0
	if t == s {
		return v, wrap // keep the original interface: no new allocation
	}
	return t, wrap
}

func excelText(s string) string { return truncateCell(cleanText(s)) }

// ErrTooWide is returned (wrapped) for a sheet with more columns than Excel
// allows: the API returned components with that many distinct fields.
var ErrTooWide = errors.New("too many columns for a workbook")

// sizedColumns is how many leading columns get their own width; the rest
// share one. excelize's SetColWidth costs time in proportion to the widths
// already set, so sizing every column of a sheet with thousands of them
// (components with thousands of fields) would take minutes.
const sizedColumns = 256

// setColumnWidths sets widths in runs of equal width.
func setColumnWidths(sw *excelize.StreamWriter, widths []float64) error {
	if len(widths) > sizedColumns {
		if err := sw.SetColWidth(sizedColumns+1, len(widths), float64(minWidth*2)); err != nil {
			return err
		}
		widths = widths[:sizedColumns]
	}
	for first := 0; first < len(widths); {
		last := first
		for last+1 < len(widths) && widths[last+1] == widths[first] {
			last++
		}
		if err := sw.SetColWidth(first+1, last+1, widths[first]); err != nil {
			return err
		}
		first = last + 1
	}
	return nil
}

// columnWidths sizes each column to its longest line among the header and
// the sampled rows, within [minWidth, maxWidth].
func columnWidths(sh sdr.Sheet, dq bool) []float64 {
	widths := make([]float64, len(sh.Columns))
	for i, c := range sh.Columns {
		n := lineWidth(c)
		for _, row := range sh.Rows[:min(len(sh.Rows), widthSample)] {
			n = max(n, lineWidth(formatCell(row[i])))
		}
		if dq && i == 0 {
			n += 3 // the severity icon
		}
		widths[i] = float64(min(max(n+2, minWidth), maxWidth))
	}
	return widths
}

// lineWidth is the rune length of s's longest line, counting no further
// than maxWidth (a 40,000-character cell is not scanned to the end).
func lineWidth(s string) int {
	longest, n := 0, 0
	for i := 0; i < len(s) && longest < maxWidth; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == '\n' {
			n = 0
			continue
		}
		n++
		longest = max(longest, n)
	}
	return longest
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
