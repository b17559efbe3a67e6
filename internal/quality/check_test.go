package quality

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/cja-sdr/cja-sdr/internal/cja"
)

// comp builds a component with id, name, type and description; pass the
// description as nil for a null one.
func comp(id, name string, desc any) cja.Component {
	return cja.Component{"id": id, "name": name, "type": "int", "description": desc}
}

func clean(prefix string, n int) []cja.Component {
	out := make([]cja.Component, n)
	for i := range out {
		out[i] = comp(fmt.Sprintf("%s/%d", prefix, i), fmt.Sprintf("%s %d", prefix, i), "documented")
	}
	return out
}

// find returns the issues of one category and type.
func find(issues []Issue, category, typ string) []Issue {
	var out []Issue
	for _, is := range issues {
		if is.Category == category && is.Type == typ {
			out = append(out, is)
		}
	}
	return out
}

func TestCheckClean(t *testing.T) {
	got := Check(clean("metrics", 3), clean("variables", 2))
	if len(got) != 1 {
		t.Fatalf("got %d issues, want 1: %+v", len(got), got)
	}
	is := got[0]
	if is.Severity != Info || is.Issue != NoIssues || is.Type != "All" {
		t.Errorf("clean row = %+v", is)
	}
	if !strings.Contains(is.Details, "3 metrics and 2 dimensions") {
		t.Errorf("details %q lack the counts", is.Details)
	}
}

func TestCheckEachRule(t *testing.T) {
	tests := []struct {
		name       string
		metrics    []cja.Component
		category   string
		severity   Severity
		items      string // expected ItemName ("" = don't check)
		detailsHas string
		issueHas   string
		only       bool // the type yields this single row (stop rules)
	}{
		{
			name:     "empty data",
			metrics:  nil,
			category: CategoryEmptyData, severity: Critical, items: "N/A",
			issueHas: "No metrics found", only: true,
		},
		{
			name: "missing fields stops the other checks",
			metrics: []cja.Component{
				{"id": "m/1", "name": "A", "description": nil},
				{"id": "m/1", "name": "A", "description": ""},
			},
			category: CategoryMissingFields, severity: Critical, items: "N/A",
			detailsHas: "Missing fields: type", only: true,
		},
		{
			name: "missing fields lists every absent field in order",
			metrics: []cja.Component{
				{"description": "x"},
			},
			category: CategoryMissingFields, severity: Critical,
			detailsHas: "Missing fields: id, name, type", only: true,
		},
		{
			name: "duplicates by name",
			metrics: append(clean("m", 2),
				comp("x/1", "Visits", "d"), comp("x/2", "Visits", "d"), comp("x/3", "Visits", "d"),
				comp("y/1", "Orders", "d"), comp("y/2", "Orders", "d")),
			category: CategoryDuplicates, severity: High, items: "Visits, Orders",
			detailsHas: "5 metrics share 2 names: Visits (3), Orders (2)", issueHas: "2 duplicate names",
		},
		{
			name:     "single duplicate name",
			metrics:  []cja.Component{comp("a", "Same", "d"), comp("b", "Same", "d")},
			category: CategoryDuplicates, severity: High, items: "Same",
			issueHas: "Duplicate name found 2 times", detailsHas: "2 metrics share 1 name: Same (2)",
		},
		{
			name: "null description (key present, value null)",
			metrics: append(clean("m", 3),
				comp("m/x", "Undocumented", nil)),
			category: CategoryNullValues, severity: Medium, items: "Undocumented",
			issueHas: `"description"`, detailsHas: "1 of 4 metrics have no description",
		},
		{
			name: "absent name counts as null and is labelled by id",
			metrics: append(clean("m", 1),
				cja.Component{"id": "metrics/anon", "type": "int", "description": "d"}),
			category: CategoryNullValues, severity: Medium, items: "metrics/anon",
			issueHas: `"name"`,
		},
		{
			name:     "invalid id: empty string",
			metrics:  append(clean("m", 2), comp("", "No ID", "d"), comp("  ", "Blank ID", "d")),
			category: CategoryInvalidIDs, severity: High, items: "Blank ID, No ID",
			issueHas: "2 metrics with missing or invalid IDs",
		},
		{
			name:     "singular wording",
			metrics:  append(clean("m", 2), comp("", "No ID", "d")),
			category: CategoryInvalidIDs, severity: High, items: "No ID",
			issueHas: "1 metric with missing or invalid IDs",
		},
		{
			name:     "invalid id: null also counts",
			metrics:  append(clean("m", 2), cja.Component{"id": nil, "name": "Null ID", "type": "int", "description": "d"}),
			category: CategoryInvalidIDs, severity: High, items: "Null ID",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(tt.metrics, clean("variables", 2))
			rows := find(got, tt.category, "Metrics")
			if len(rows) != 1 {
				t.Fatalf("want 1 %s row for Metrics, got %d in %+v", tt.category, len(rows), got)
			}
			r := rows[0]
			if r.Severity != tt.severity {
				t.Errorf("severity = %s, want %s", r.Severity, tt.severity)
			}
			if tt.items != "" && r.ItemName != tt.items {
				t.Errorf("item = %q, want %q", r.ItemName, tt.items)
			}
			if !strings.Contains(r.Details, tt.detailsHas) {
				t.Errorf("details %q lack %q", r.Details, tt.detailsHas)
			}
			if !strings.Contains(r.Issue, tt.issueHas) {
				t.Errorf("issue %q lacks %q", r.Issue, tt.issueHas)
			}
			if tt.only {
				var metrics []Issue
				for _, is := range got {
					if is.Type == "Metrics" {
						metrics = append(metrics, is)
					}
				}
				if len(metrics) != 1 {
					t.Errorf("a stop rule must be the type's only row, got %+v", metrics)
				}
			}
		})
	}
}

func TestMissingDescriptionForms(t *testing.T) {
	forms := []struct {
		name    string
		c       cja.Component
		missing bool
	}{
		{"null", cja.Component{"description": nil}, true},
		{"absent", cja.Component{}, true},
		{"empty", cja.Component{"description": ""}, true},
		{"blank", cja.Component{"description": "  \t"}, true},
		{"n/a", cja.Component{"description": "n/a"}, true},
		{"N/A padded", cja.Component{"description": " N/A "}, true},
		{"text", cja.Component{"description": "Number of visits"}, false},
		{"n/a inside text", cja.Component{"description": "n/a for derived"}, false},
		{"non-string", cja.Component{"description": 42.0}, false},
	}
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			c := cja.Component{"id": "m/x", "name": "X", "type": "int"}
			for k, v := range f.c {
				c[k] = v
			}
			got := find(Check([]cja.Component{c}, clean("v", 1)), CategoryMissingDescriptions, "Metrics")
			if (len(got) == 1) != f.missing {
				t.Fatalf("missing = %v, want %v (%+v)", len(got) == 1, f.missing, got)
			}
			if f.missing && got[0].Severity != Low {
				t.Errorf("severity = %s, want LOW", got[0].Severity)
			}
		})
	}
}

func TestItemListCapped(t *testing.T) {
	var ms []cja.Component
	for i := range 25 {
		ms = append(ms, comp(fmt.Sprintf("m/%02d", i), fmt.Sprintf("M%02d", i), "n/a"))
	}
	r := find(Check(ms, clean("v", 1)), CategoryMissingDescriptions, "Metrics")[0]
	want := "M00, M01, M02, M03, M04, M05, M06, M07, M08, M09, ... and 15 more"
	if r.ItemName != want {
		t.Errorf("item = %q\nwant   %q", r.ItemName, want)
	}
	if !strings.Contains(r.Details, "25 of 25 metrics") {
		t.Errorf("details = %q", r.Details)
	}
}

func TestSortOrder(t *testing.T) {
	metrics := []cja.Component{
		comp("", "Dup", nil), // invalid id (HIGH), null desc (MEDIUM), missing desc (LOW)
		comp("m/2", "Dup", "d"),
	}
	got := Check(metrics, nil) // dimensions: Empty Data (CRITICAL)
	var keys []string
	for _, is := range got {
		keys = append(keys, fmt.Sprintf("%s/%s/%s", is.Severity, is.Category, is.Type))
	}
	want := []string{
		"CRITICAL/Empty Data/Dimensions",
		"HIGH/Duplicates/Metrics",
		"HIGH/Invalid IDs/Metrics",
		"MEDIUM/Null Values/Metrics",
		"LOW/Missing Descriptions/Metrics",
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("order:\n got %q\nwant %q", keys, want)
	}
}

func TestSortTiesOnTypeThenItem(t *testing.T) {
	is := []Issue{
		{Severity: Medium, Category: "Null Values", Type: "Metrics", ItemName: "b"},
		{Severity: Medium, Category: "Null Values", Type: "Dimensions", ItemName: "z"},
		{Severity: Medium, Category: "Null Values", Type: "Metrics", ItemName: "a"},
		{Severity: Low, Category: "A", Type: "Dimensions", ItemName: "a"},
		{Severity: Critical, Category: "Z", Type: "Metrics", ItemName: "a"},
	}
	sortIssues(is)
	var got []string
	for _, i := range is {
		got = append(got, string(i.Severity)+":"+i.Type+":"+i.ItemName)
	}
	want := []string{"CRITICAL:Metrics:a", "MEDIUM:Dimensions:z", "MEDIUM:Metrics:a", "MEDIUM:Metrics:b", "LOW:Dimensions:a"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestDeterministicUnderShuffle(t *testing.T) {
	metrics, dims := messy(300)
	want := Check(metrics, dims)
	if len(want) < 8 {
		t.Fatalf("fixture should trigger most checks, got %d rows", len(want))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		m, d := append([]cja.Component(nil), metrics...), append([]cja.Component(nil), dims...)
		r.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
		r.Shuffle(len(d), func(i, j int) { d[i], d[j] = d[j], d[i] })
		if got := Check(m, d); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffled input changed the output:\n got %+v\nwant %+v", got, want)
		}
	}
}

func TestTop(t *testing.T) {
	is := []Issue{{Issue: "a"}, {Issue: "b"}, {Issue: "c"}}
	for _, tc := range []struct{ n, want int }{{0, 3}, {-1, 3}, {2, 2}, {3, 3}, {10, 3}} {
		if got := Top(is, tc.n); len(got) != tc.want {
			t.Errorf("Top(%d) has %d, want %d", tc.n, len(got), tc.want)
		}
	}
	top := Top(is, 1)
	_ = append(top, Issue{Issue: "x"})
	if is[1].Issue != "b" {
		t.Error("appending to Top's result overwrote the input")
	}
}

func TestCountBySeverity(t *testing.T) {
	got := CountBySeverity([]Issue{{Severity: High}, {Severity: High}, {Severity: Low}})
	want := map[Severity]int{High: 2, Low: 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// messy builds n metrics and n dimensions that trigger every non-stopping
// check: duplicates, null and "n/a" descriptions, empty and null ids.
func messy(n int) (metrics, dims []cja.Component) {
	for i := range n {
		for _, prefix := range []string{"metrics", "variables"} {
			c := cja.Component{
				"id":          fmt.Sprintf("%s/c%d", prefix, i),
				"name":        fmt.Sprintf("%s %d", prefix, i%(n-n/10)), // some names repeat
				"type":        []string{"int", "decimal", "string"}[i%3],
				"description": "Described",
				"usageSummary": map[string]any{
					"count": i,
				},
			}
			switch i % 7 {
			case 1:
				c["description"] = nil
			case 2:
				c["description"] = "n/a"
			case 3:
				delete(c, "description")
			case 4:
				c["description"] = ""
			}
			if i%41 == 0 {
				c["id"] = ""
			}
			if i%53 == 0 {
				c["id"] = nil
			}
			if prefix == "metrics" {
				metrics = append(metrics, c)
			} else {
				dims = append(dims, c)
			}
		}
	}
	return metrics, dims
}

func BenchmarkCheck10k(b *testing.B) {
	metrics, dims := messy(5000) // 10,000 components in all
	b.ReportAllocs()
	for b.Loop() {
		Check(metrics, dims)
	}
}
