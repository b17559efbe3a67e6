package faults

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite RELIABILITY.md from the catalogue")

// standaloneKeys are the scenarios run by their own test function rather
// than a table.
var standaloneKeys = []string{
	"s3-bucket-missing", "s3-put-fails-mid-document", "dynamodb-unavailable", "dynamodb-table-missing",
	"disk-full", "cancel-while-writing", "chaos", "lambda-deadline", "upload-50mb",
	"s3-keys-under-prefix", "suite-wide-scan",
}

// implementedKeys lists every scenario key the suite's tests implement.
func implementedKeys() []string {
	keys := slices.Clone(standaloneKeys)
	for _, c := range cliFaultCases() {
		keys = append(keys, c.key)
	}
	for _, c := range securityCases() {
		keys = append(keys, c.key)
	}
	for _, c := range idCases {
		keys = append(keys, c.key)
	}
	for _, c := range listCases {
		keys = append(keys, c.key)
	}
	for _, c := range execCases {
		keys = append(keys, c.key)
	}
	for _, c := range contentCases {
		keys = append(keys, c.key)
	}
	return keys
}

// TestReliabilityTableUpToDate keeps RELIABILITY.md, the README's
// Reliability section, equal to the catalogue, and the catalogue equal to
// what the tests run: every entry implemented by exactly one test case.
func TestReliabilityTableUpToDate(t *testing.T) {
	seen := map[string]int{}
	for _, k := range implementedKeys() {
		seen[k]++
	}
	catalogued := map[string]bool{}
	for _, s := range Scenarios {
		if catalogued[s.Key] {
			t.Errorf("catalogue lists %q twice", s.Key)
		}
		catalogued[s.Key] = true
		if s.What == "" || s.Sees == "" || s.Area == "" {
			t.Errorf("catalogue entry %q is incomplete", s.Key)
		}
		if seen[s.Key] != 1 {
			t.Errorf("catalogue entry %q is implemented by %d test cases, want 1", s.Key, seen[s.Key])
		}
	}
	for k := range seen {
		if !catalogued[k] {
			t.Errorf("test case %q is not in the catalogue", k)
		}
	}
	if n := Count(Fault); n < 25 {
		t.Errorf("%d fault scenarios, the issue asks for at least 25", n)
	}
	if n := Count(BadInput); n < 30 {
		t.Errorf("%d bad inputs, the issue asks for at least 30", n)
	}

	want := Markdown()
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(readme), readmeBegin)
	_, after, ok2 := strings.Cut(rest, readmeEnd)
	if !ok1 || !ok2 {
		t.Fatalf("README.md lacks the %s ... %s markers of its Reliability section", readmeBegin, readmeEnd)
	}
	section := readmeBegin + "\n" + want + readmeEnd
	if *update {
		if err := os.WriteFile("RELIABILITY.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(readmePath, []byte(before+section+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile("RELIABILITY.md")
	if err != nil || string(got) != want {
		t.Errorf("RELIABILITY.md is out of date: run go test ./internal/faults -run TestReliabilityTableUpToDate -update")
	}
	if !strings.Contains(string(readme), section) {
		t.Errorf("README.md's Reliability section is out of date: run go test ./internal/faults -run TestReliabilityTableUpToDate -update")
	}
}

// The README carries the same table between these markers.
const (
	readmePath  = "../../README.md"
	readmeBegin = "<!-- reliability:begin -->"
	readmeEnd   = "<!-- reliability:end -->"
)
