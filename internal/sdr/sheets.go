package sdr

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/quality"
)

// Sheet names, in document order.
const (
	SheetMetadata    = "Metadata"
	SheetDataQuality = "Data Quality"
	SheetDataView    = "DataView"
	SheetMetrics     = "Metrics"
	SheetDimensions  = "Dimensions"
)

// IssueColumns are the Data Quality sheet's columns.
var IssueColumns = []string{"Severity", "Category", "Type", "Item Name", "Issue", "Details"}

// leadingColumns come first on the Metrics and Dimensions sheets, in this
// order, whether or not the API returned them; the rest follow sorted.
var leadingColumns = []string{"name", "type", "id", "description"}

// Sheet is one table of the SDR. Cells hold only string, int, int64,
// float64, bool or nil, so renderers need no other cases; nested API values
// are already indented JSON text.
type Sheet struct {
	Name    string
	Columns []string
	Rows    [][]any
}

// Sheets returns the document's tables in order: Metadata, Data Quality,
// DataView, Metrics, Dimensions. Every renderer uses this one view so every
// format has the same record counts.
func (d *Document) Sheets() []Sheet {
	var enc jsonText
	return []Sheet{
		d.MetadataSheet(),
		d.issueSheet(),
		dataViewSheet(d.DataView, &enc),
		componentSheet(SheetMetrics, d.Metrics, &enc),
		componentSheet(SheetDimensions, d.Dimensions, &enc),
	}
}

// IssueSummary returns one (severity, count) pair per severity, most severe
// first, zeros included so the block above the Data Quality table always has
// the same shape.
func (d *Document) IssueSummary() [][2]any {
	counts := quality.CountBySeverity(d.Issues)
	out := make([][2]any, len(quality.Severities))
	for i, s := range quality.Severities {
		out[i] = [2]any{string(s), counts[s]}
	}
	return out
}

// MetadataSheet is the Metadata sheet: (property, value) pairs. The JSON
// output needs only this one, so it can be built alone.
func (d *Document) MetadataSheet() Sheet {
	issues := 0
	for _, is := range d.Issues {
		if is.Severity != quality.Info {
			issues++
		}
	}
	rows := [][]any{
		{"Generated At", FormatGenerated(d.Generated)},
		{"Data View ID", d.DataView.ID()},
		{"Data View Name", d.DataView.Name()},
		{"Total Metrics", len(d.Metrics)},
		{"Metrics Breakdown", typeBreakdown(d.Metrics)},
		{"Total Dimensions", len(d.Dimensions)},
		{"Dimensions Breakdown", typeBreakdown(d.Dimensions)},
		{"Data Quality Issues", issues},
		{"Data Quality Summary", d.severitySummary()},
		{"Tool Version", d.ToolVersion},
	}
	if d.ValidationSkipped {
		rows = append(rows, []any{"Validation", "skipped"})
	}
	return Sheet{Name: SheetMetadata, Columns: []string{"Property", "Value"}, Rows: rows}
}

// FormatGenerated renders a generation time with its zone abbreviation and
// UTC offset, e.g. "2025-06-01 10:20:30 CEST (UTC+02:00)".
func FormatGenerated(t time.Time) string {
	return t.Format("2006-01-02 15:04:05 MST (UTC-07:00)")
}

func (d *Document) severitySummary() string {
	if d.ValidationSkipped {
		return "not run (validation skipped)"
	}
	counts := quality.CountBySeverity(d.Issues)
	var parts []string
	for _, s := range quality.Severities {
		if s != quality.Info && counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d", s, counts[s]))
		}
	}
	if len(parts) == 0 {
		return "No issues"
	}
	return strings.Join(parts, ", ")
}

// typeBreakdown counts components per type, most common first, e.g.
// "int: 12, decimal: 3". Components without a type count as "(none)".
func typeBreakdown(comps []cja.Component) string {
	counts := map[string]int{}
	for _, c := range comps {
		t := c.Type()
		if t == "" {
			t = "(none)"
		}
		counts[t]++
	}
	types := make([]string, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	slices.SortFunc(types, func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a, b))
	})
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = t + ": " + strconv.Itoa(counts[t])
	}
	return strings.Join(parts, ", ")
}

func (d *Document) issueSheet() Sheet {
	rows := make([][]any, len(d.Issues))
	for i, is := range d.Issues {
		rows[i] = []any{string(is.Severity), is.Category, is.Type, is.ItemName, is.Issue, is.Details}
	}
	return Sheet{Name: SheetDataQuality, Columns: IssueColumns, Rows: rows}
}

// dataViewSheet lists every field of the data view object, id, name and
// description first, the rest sorted.
func dataViewSheet(dv cja.DataView, enc *jsonText) Sheet {
	keys := orderedKeys([]string{"id", "name", "description"}, false, func(yield func(string) bool) {
		for k := range dv {
			if !yield(k) {
				return
			}
		}
	})
	rows := make([][]any, len(keys))
	for i, k := range keys {
		rows[i] = []any{k, enc.cell(dv[k])}
	}
	return Sheet{Name: SheetDataView, Columns: []string{"Property", "Value"}, Rows: rows}
}

// componentSheet has one column per key seen on any component and one row
// per component; a key a component lacks is a nil cell.
func componentSheet(name string, comps []cja.Component, enc *jsonText) Sheet {
	cols := orderedKeys(leadingColumns, true, func(yield func(string) bool) {
		for _, c := range comps {
			for k := range c {
				if !yield(k) {
					return
				}
			}
		}
	})
	// One backing array for all cells: a single allocation instead of one
	// per row matters at 50,000 components.
	cells := make([]any, len(comps)*len(cols))
	rows := make([][]any, len(comps))
	for i, c := range comps {
		row := cells[i*len(cols) : (i+1)*len(cols) : (i+1)*len(cols)]
		for j, k := range cols {
			if v, ok := c[k]; ok {
				row[j] = enc.cell(v)
			}
		}
		rows[i] = row
	}
	return Sheet{Name: name, Columns: cols, Rows: rows}
}

// orderedKeys returns lead (all of it when always, else only the keys seen)
// followed by the other keys seen, sorted.
func orderedKeys(lead []string, always bool, seen func(yield func(string) bool)) []string {
	set := map[string]struct{}{}
	for k := range seen {
		set[k] = struct{}{}
	}
	out := make([]string, 0, len(set)+len(lead))
	for _, k := range lead {
		if _, ok := set[k]; ok || always {
			out = append(out, k)
		}
		delete(set, k)
	}
	rest := make([]string, 0, len(set))
	for k := range set {
		rest = append(rest, k)
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// cell converts one API value to a sheet cell. Scalars pass through without
// copying (they are already boxed in the component map); maps, slices and
// anything unexpected become indented JSON with sorted keys.
func (j *jsonText) cell(v any) any {
	switch x := v.(type) {
	case nil, string, bool, int, int64:
		return v
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64) // no spreadsheet can hold them as numbers
		}
		return v
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case int8, int16, int32, uint, uint8, uint16, uint32, uint64:
		return j.cell(json.Number(fmt.Sprint(x)))
	case float32:
		return j.cell(float64(x))
	}
	return j.indented(v)
}
