package pipeline

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cja-sdr/cja-sdr/internal/report"
)

// Sheet names of summary.xlsx.
const (
	indexRunSheet      = "Run"
	indexDataViewSheet = "Data Views"
	indexProblemSheet  = "Invalid Entries"
)

var indexColumns = []struct {
	title string
	width float64
}{
	{"Data View ID", 30}, {"Name", 36}, {"Status", 13}, {"Metrics", 9}, {"Dimensions", 11},
	{"Issues", 8}, {"Cache Hit", 10}, {"Duration (s)", 12}, {"Error", 60}, {"SDR", 70}, {"All Outputs", 70},
}

// writeIndex writes summary.xlsx: a Run sheet with the counts, a Data Views
// sheet with one row per requested data view (status, counts and a link to
// its SDR), and the invalid entries if there were any. Every text from the
// API or the input goes in as a string cell, never as a formula.
func writeIndex(w io.Writer, sum RunSummary, bucket string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", indexRunSheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	link, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "0563C1", Underline: "single"}})
	if err != nil {
		return err
	}

	// Run sheet: label/value pairs.
	source := ""
	if sum.Source != nil {
		source = sum.Source.URI()
	}
	runRows := [][2]any{
		{"Run ID", sum.RunID},
		{"Started", sum.Started.UTC().Format(time.RFC3339)},
		{"Finished", sum.Finished.UTC().Format(time.RFC3339)},
		{"Requested", sum.Requested},
		{"Source", source},
		{"Workers", sum.Workers},
		{"Continue on error", sum.ContinueOnError},
		{"Formats", strings.Join(sum.Formats, ", ")},
		{"Total data views", sum.Total},
		{"Successful", sum.Successful},
		{"Failed", sum.Failed},
		{"Cancelled", sum.Cancelled},
		{"Not started", sum.NotStarted},
		{"Cache hits", sum.CacheHits},
		{"Invalid entries", len(sum.Problems)},
		{"Duration (s)", round1(sum.Duration.Seconds())},
	}
	for i, kv := range runRows {
		row := i + 1
		if err := setCell(f, indexRunSheet, 1, row, kv[0]); err != nil {
			return err
		}
		if err := setCell(f, indexRunSheet, 2, row, kv[1]); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(indexRunSheet, "A", "A", 20); err != nil {
		return err
	}
	if err := f.SetColWidth(indexRunSheet, "B", "B", 60); err != nil {
		return err
	}
	if err := f.SetCellStyle(indexRunSheet, "A1", fmt.Sprintf("A%d", len(runRows)), bold); err != nil {
		return err
	}

	// Data Views sheet.
	if _, err := f.NewSheet(indexDataViewSheet); err != nil {
		return err
	}
	for i, c := range indexColumns {
		if err := setCell(f, indexDataViewSheet, i+1, 1, c.title); err != nil {
			return err
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(indexDataViewSheet, col, col, c.width); err != nil {
			return err
		}
	}
	lastCol, _ := excelize.ColumnNumberToName(len(indexColumns))
	if err := f.SetCellStyle(indexDataViewSheet, "A1", lastCol+"1", bold); err != nil {
		return err
	}
	for i, r := range sum.Results {
		row := i + 2
		vals := []any{r.DataViewID, r.Name, string(r.Status), r.Metrics, r.Dimensions, r.Issues,
			r.CacheHit, round1(r.Duration.Seconds()), r.Error}
		for c, v := range vals {
			if err := setCell(f, indexDataViewSheet, c+1, row, v); err != nil {
				return err
			}
		}
		if len(r.Outputs) == 0 {
			continue
		}
		first := r.Outputs[0]
		cell, _ := excelize.CoordinatesToCellName(len(vals)+1, row)
		if err := f.SetCellStr(indexDataViewSheet, cell, first.Path); err != nil {
			return err
		}
		if bucket != "" {
			if err := f.SetCellHyperLink(indexDataViewSheet, cell, consoleURL(bucket, first.Key), "External"); err != nil {
				return err
			}
			if err := f.SetCellStyle(indexDataViewSheet, cell, cell, link); err != nil {
				return err
			}
		}
		paths := make([]string, len(r.Outputs))
		for j, o := range r.Outputs {
			paths[j] = o.Path
		}
		if err := setCell(f, indexDataViewSheet, len(vals)+2, row, strings.Join(paths, "\n")); err != nil {
			return err
		}
	}
	if err := f.SetPanes(indexDataViewSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := f.AutoFilter(indexDataViewSheet, fmt.Sprintf("A1:%s%d", lastCol, len(sum.Results)+1), nil); err != nil {
		return err
	}

	if len(sum.Problems) > 0 {
		if _, err := f.NewSheet(indexProblemSheet); err != nil {
			return err
		}
		for i, h := range []string{"Line", "Text", "Error"} {
			if err := setCell(f, indexProblemSheet, i+1, 1, h); err != nil {
				return err
			}
		}
		if err := f.SetCellStyle(indexProblemSheet, "A1", "C1", bold); err != nil {
			return err
		}
		for i, p := range sum.Problems {
			var line any = ""
			if p.Line > 0 {
				line = p.Line
			}
			for c, v := range []any{line, p.Text, p.Error} {
				if err := setCell(f, indexProblemSheet, c+1, i+2, v); err != nil {
					return err
				}
			}
		}
		if err := f.SetColWidth(indexProblemSheet, "B", "C", 50); err != nil {
			return err
		}
	}
	// The data view list is what people open the index for.
	idx, err := f.GetSheetIndex(indexDataViewSheet)
	if err != nil {
		return err
	}
	f.SetActiveSheet(idx)
	return f.Write(w)
}

// setCell writes v at (col, row); strings always as text, so a name such as
// "=HYPERLINK(...)" from the API stays inert.
func setCell(f *excelize.File, sheet string, col, row int, v any) error {
	cell, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		return err
	}
	switch x := v.(type) {
	case string:
		return f.SetCellStr(sheet, cell, x)
	case report.Status:
		return f.SetCellStr(sheet, cell, string(x))
	default:
		return f.SetCellValue(sheet, cell, x)
	}
}

// consoleURL opens an object in the S3 console; s3:// links open nothing in
// a spreadsheet application.
func consoleURL(bucket, key string) string {
	return "https://s3.console.aws.amazon.com/s3/object/" + url.PathEscape(bucket) + "?prefix=" + url.QueryEscape(key)
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
