package faults

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's Reliability section from the catalogue")

// standaloneKeys are the scenarios run by their own test function rather
// than a table.
var standaloneKeys = []string{
	"s3-bucket-missing", "s3-put-fails-mid-document", "dynamodb-unavailable", "dynamodb-table-missing",
	"disk-full", "cancel-while-writing", "chaos", "lambda-deadline", "upload-50mb",
	"s3-keys-under-prefix", "suite-wide-scan",
}

// implementedKeys lists every scenario key the suite's tests implement:
// this package's, then those of ./infra's end-to-end tests.
func implementedKeys(t *testing.T) []string {
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
	for _, k := range keys {
		if strings.HasPrefix(k, StateMachinePrefix) {
			t.Errorf("test case %q of this package has the prefix %q of ./infra's scenarios", k, StateMachinePrefix)
		}
	}
	return append(keys, stateMachineKeys(t)...)
}

// infraTests are the end-to-end tests that run scenarios through the state
// machine.
const infraTests = "../../infra/*_test.go"

// stateMachineKeys reads ./infra's test files and returns the key of every
// sfnScenario(t, "<key>") call, one per test case that implements a
// scenario. Those tests live in another package (they need its harness), so
// they are found in their source rather than run here.
func stateMachineKeys(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(infraTests)
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files match %s: %v", infraTests, err)
	}
	var keys []string
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if fn, ok := call.Fun.(*ast.Ident); !ok || fn.Name != "sfnScenario" {
				return true
			}
			var lit *ast.BasicLit
			if len(call.Args) == 2 {
				lit, _ = call.Args[1].(*ast.BasicLit)
			}
			if lit == nil || lit.Kind != token.STRING {
				t.Errorf("%s: sfnScenario must be given its key as a string literal", fset.Position(call.Pos()))
				return true
			}
			key, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Errorf("%s: sfnScenario must be given its key as a string literal", fset.Position(call.Pos()))
				return true
			}
			if !strings.HasPrefix(key, StateMachinePrefix) {
				t.Errorf("%s: scenario %q of ./infra lacks the prefix %q", fset.Position(call.Pos()), key, StateMachinePrefix)
			}
			keys = append(keys, key)
			return true
		})
	}
	if len(keys) == 0 {
		t.Errorf("no sfnScenario calls in %s", infraTests)
	}
	return keys
}

// TestReliabilityTableUpToDate keeps the README's Reliability section equal
// to the catalogue, and the catalogue equal to
// what the tests run: every entry implemented by exactly one test case.
func TestReliabilityTableUpToDate(t *testing.T) {
	seen := map[string]int{}
	for _, k := range implementedKeys(t) {
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
		if err := os.WriteFile(readmePath, []byte(before+section+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
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
