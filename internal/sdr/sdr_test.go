package sdr

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/quality"
)

func TestBaseName(t *testing.T) {
	tests := []struct{ name, id, want string }{
		{"Prod Web", "dv_677ea9291244fd082f02dd42", "CJA_DataView_Prod_Web_dv_677ea9291244fd082f02dd42_SDR"},
		{"  Many   spaces\there ", "dv_1", "CJA_DataView_Many_spaces_here_dv_1_SDR"},
		{"a/b\\c..d:e*f?g", "dv_1", "CJA_DataView_abcdefg_dv_1_SDR"},
		{"../../etc/passwd", "../x", "CJA_DataView_etcpasswd_x_SDR"},
		{"Café – Ünïcode 東京", "dv_1", "CJA_DataView_Café_Ünïcode_東京_dv_1_SDR"},
		{"", "", "CJA_DataView_Unnamed_unknown_SDR"},
		{"!!!", "dv/..", "CJA_DataView_Unnamed_dv_SDR"},
		{"x\x00y\x1bz", "dv_1", "CJA_DataView_xyz_dv_1_SDR"},
	}
	for _, tt := range tests {
		if got := BaseName(tt.name, tt.id); got != tt.want {
			t.Errorf("BaseName(%q, %q) = %q, want %q", tt.name, tt.id, got, tt.want)
		}
	}
}

func TestBaseNameNeverUnsafe(t *testing.T) {
	inputs := []string{"..", "/", "\\", "a/../b", strings.Repeat("é", 500), strings.Repeat("a ", 300), "\u202eevil", "a.b"}
	for _, n := range inputs {
		for _, id := range inputs {
			got := BaseName(n, id)
			if strings.ContainsAny(got, "/\\.") || strings.Contains(got, "..") {
				t.Errorf("BaseName(%q, %q) = %q: unsafe", n, id, got)
			}
			if len(got) > len("CJA_DataView___SDR")+maxNameBytes+maxIDBytes {
				t.Errorf("BaseName too long: %d bytes", len(got))
			}
			if !strings.HasPrefix(got, "CJA_DataView_") || !strings.HasSuffix(got, "_SDR") {
				t.Errorf("bad shape %q", got)
			}
		}
	}
}

func fixture() *Document {
	metrics := []cja.Component{
		{"id": "metrics/visits", "name": "Visits", "type": "int", "description": "Sessions",
			"usageSummary": map[string]any{"z": 1.0, "a": []any{"x", nil}}, "precision": 0.0},
		{"id": "metrics/rev", "name": "Revenue", "type": "currency", "description": nil, "hidden": true},
		{"id": "metrics/orders", "name": "Orders", "type": "int", "extra": json.Number("12")},
	}
	dims := []cja.Component{
		{"id": "variables/page", "name": "Page", "type": "string", "description": "n/a"},
	}
	return &Document{
		Generated:   time.Date(2025, 6, 1, 10, 20, 30, 0, time.FixedZone("CEST", 2*3600)),
		ToolVersion: "1.2.3",
		DataView: cja.DataView{"name": "Web", "id": "dv_1", "owner": map[string]any{"name": "Jane"},
			"description": "Main", "isDeleted": false},
		Metrics:    metrics,
		Dimensions: dims,
		Issues:     quality.Check(metrics, dims),
	}
}

func TestSheetsOrderAndShape(t *testing.T) {
	d := fixture()
	sheets := d.Sheets()
	var names []string
	for _, s := range sheets {
		names = append(names, s.Name)
		for _, r := range s.Rows {
			if len(r) != len(s.Columns) {
				t.Errorf("%s: row has %d cells, %d columns", s.Name, len(r), len(s.Columns))
			}
			for _, c := range r {
				switch c.(type) {
				case nil, string, int, int64, float64, bool:
				default:
					t.Errorf("%s: cell of type %T", s.Name, c)
				}
			}
		}
	}
	want := []string{"Metadata", "Data Quality", "DataView", "Metrics", "Dimensions"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("sheets %v, want %v", names, want)
	}
	if got := sheets[1].Columns; !reflect.DeepEqual(got, []string{"Severity", "Category", "Type", "Item Name", "Issue", "Details"}) {
		t.Errorf("DQ columns %v", got)
	}
	if len(sheets[1].Rows) != len(d.Issues) {
		t.Errorf("DQ rows %d, issues %d", len(sheets[1].Rows), len(d.Issues))
	}
}

func TestComponentColumnsAndCells(t *testing.T) {
	s := fixture().Sheets()[3]
	wantCols := []string{"name", "type", "id", "description", "extra", "hidden", "precision", "usageSummary"}
	if !reflect.DeepEqual(s.Columns, wantCols) {
		t.Fatalf("columns %v, want %v", s.Columns, wantCols)
	}
	visits := s.Rows[0]
	if visits[0] != "Visits" || visits[6] != 0.0 {
		t.Errorf("visits row %v", visits)
	}
	wantJSON := "{\n  \"a\": [\n    \"x\",\n    null\n  ],\n  \"z\": 1\n}"
	if visits[7] != wantJSON {
		t.Errorf("nested JSON:\n%v\nwant\n%s", visits[7], wantJSON)
	}
	if visits[5] != nil || visits[4] != nil {
		t.Errorf("absent keys must be nil cells: %v", visits)
	}
	if rev := s.Rows[1]; rev[3] != nil || rev[5] != true {
		t.Errorf("revenue row %v", rev)
	}
	if orders := s.Rows[2]; orders[4] != int64(12) {
		t.Errorf("json.Number cell = %#v, want int64(12)", orders[4])
	}
	// Dimensions keep the leading columns even when no component has them.
	dims := componentSheet("Dimensions", []cja.Component{{"zz": 1.0}}, &jsonText{})
	if !reflect.DeepEqual(dims.Columns, []string{"name", "type", "id", "description", "zz"}) {
		t.Errorf("dimension columns %v", dims.Columns)
	}
}

func TestMetadata(t *testing.T) {
	d := fixture()
	got := map[string]any{}
	for _, r := range d.Sheets()[0].Rows {
		got[r[0].(string)] = r[1]
	}
	want := map[string]any{
		"Generated At":         "2025-06-01 10:20:30 CEST (UTC+02:00)",
		"Data View ID":         "dv_1",
		"Data View Name":       "Web",
		"Total Metrics":        3,
		"Metrics Breakdown":    "int: 2, currency: 1",
		"Total Dimensions":     1,
		"Dimensions Breakdown": "string: 1",
		"Data Quality Issues":  3,
		"Data Quality Summary": "MEDIUM: 1, LOW: 2",
		"Tool Version":         "1.2.3",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("metadata\n got %v\nwant %v\nissues %+v", got, want, d.Issues)
	}
	d.ValidationSkipped, d.Issues = true, nil
	rows := d.Sheets()[0].Rows
	if last := rows[len(rows)-1]; last[0] != "Validation" || last[1] != "skipped" {
		t.Errorf("last metadata row %v, want Validation: skipped", last)
	}
}

func TestDataViewSheet(t *testing.T) {
	s := fixture().Sheets()[2]
	var keys []string
	for _, r := range s.Rows {
		keys = append(keys, r[0].(string))
	}
	if want := []string{"id", "name", "description", "isDeleted", "owner"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	if s.Rows[4][1] != "{\n  \"name\": \"Jane\"\n}" {
		t.Errorf("owner cell %q", s.Rows[4][1])
	}
}

func TestIssueSummary(t *testing.T) {
	d := &Document{Issues: []quality.Issue{{Severity: quality.High}, {Severity: quality.High}, {Severity: quality.Low}}}
	want := [][2]any{{"CRITICAL", 0}, {"HIGH", 2}, {"MEDIUM", 0}, {"LOW", 1}, {"INFO", 0}}
	if got := d.IssueSummary(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestSyntheticDocumentDeterministic(t *testing.T) {
	a, b := SyntheticDocument(500), SyntheticDocument(500)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("SyntheticDocument is not deterministic")
	}
	if len(a.Metrics)+len(a.Dimensions) != 500 || len(a.Metrics) != 150 {
		t.Errorf("counts %d+%d", len(a.Metrics), len(a.Dimensions))
	}
	if len(a.Issues) < 4 {
		t.Errorf("expected a non-trivial DQ sheet, got %+v", a.Issues)
	}
}

func BenchmarkSheets10k(b *testing.B) {
	d := SyntheticDocument(10000)
	b.ReportAllocs()
	for b.Loop() {
		d.Sheets()
	}
}
