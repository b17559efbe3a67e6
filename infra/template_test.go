// Package infra_test checks the deployment artefacts against the code: the
// SAM template's wiring (build targets, environment variables, TTL
// attribute, workers -> Map concurrency, permissions), the state machine
// definition, the validators, and the whole pipeline end to end.
package infra_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// repoRoot is the module root: this file lives in <root>/infra.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test file")
	}
	return filepath.Dir(filepath.Dir(file))
}

// cfnTags maps the short intrinsic-function tags to their long form, so a
// template reads as plain data: !Ref X becomes {"Ref": "X"}.
var cfnTags = map[string]string{
	"!Ref": "Ref", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!If": "Fn::If",
	"!Not": "Fn::Not", "!Equals": "Fn::Equals", "!Join": "Fn::Join", "!Select": "Fn::Select",
	"!Split": "Fn::Split", "!And": "Fn::And", "!Or": "Fn::Or", "!FindInMap": "Fn::FindInMap",
	"!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr", "!GetAZs": "Fn::GetAZs", "!ImportValue": "Fn::ImportValue",
	"!Condition": "Condition",
}

// plain converts a yaml.Node into maps, slices and scalars, turning
// CloudFormation tags into their long form. Scalars stay strings, as
// CloudFormation sees them.
func plain(t testing.TB, n *yaml.Node) any {
	t.Helper()
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return plain(t, n.Content[0])
	case yaml.AliasNode:
		return plain(t, n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plain(t, n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = plain(t, c)
		}
		v = s
	case yaml.ScalarNode:
		v = n.Value
	}
	if long, ok := cfnTags[n.Tag]; ok {
		if long == "Fn::GetAtt" {
			if s, ok := v.(string); ok {
				a, b, _ := strings.Cut(s, ".")
				v = []any{a, b}
			}
		}
		return map[string]any{long: v}
	}
	return v
}

// tmpl is template.yaml as plain data.
type tmpl map[string]any

func loadTemplate(t testing.TB) tmpl {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	return tmpl(plain(t, &n).(map[string]any))
}

// get walks a path of map keys; nil if any step is missing.
func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func (tp tmpl) resources() map[string]any {
	return get(map[string]any(tp), "Resources").(map[string]any)
}

// resourcesOf returns the logical ids of resources of type typ.
func (tp tmpl) resourcesOf(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tp.resources() {
		if str(get(r, "Type")) == typ {
			out[id] = r.(map[string]any)
		}
	}
	return out
}

// functionProp is a function's property, falling back to Globals.Function.
func (tp tmpl) functionProp(fn map[string]any, name string) any {
	if v := get(fn, "Properties", name); v != nil {
		return v
	}
	return get(map[string]any(tp), "Globals", "Function", name)
}

// paramDefault is a parameter's default value as CloudFormation passes it.
func (tp tmpl) paramDefault(t testing.TB, name string) string {
	t.Helper()
	p := get(map[string]any(tp), "Parameters", name)
	if p == nil {
		t.Fatalf("template has no parameter %s", name)
	}
	return str(get(p, "Default"))
}

// functionDirs maps each function's logical id to its functions/<dir>.
var functionDirs = map[string]string{
	"PlannerFunction":   "planner",
	"GeneratorFunction": "generator",
	"SummaryFunction":   "summary",
	"TriggerFunction":   "trigger",
}

func TestTemplateFunctionsBuildWithMakefile(t *testing.T) {
	tp := loadTemplate(t)
	root := repoRoot(t)
	mk, err := os.ReadFile(filepath.Join(root, "Makefile.pipeline.mk"))
	if err != nil {
		t.Fatal(err)
	}
	fns := tp.resourcesOf("AWS::Serverless::Function")
	if len(fns) != len(functionDirs) {
		t.Errorf("template has functions %v, want %v", keys(fns), keys(functionDirs))
	}
	for id, fn := range fns {
		dir, ok := functionDirs[id]
		if !ok {
			t.Errorf("function %s has no functions/<dir> mapping in this test", id)
			continue
		}
		if _, err := os.Stat(filepath.Join(root, "functions", dir, "main.go")); err != nil {
			t.Errorf("%s: %v", id, err)
		}
		if got := str(get(fn, "Metadata", "BuildMethod")); got != "makefile" {
			t.Errorf("%s: Metadata.BuildMethod = %q, want makefile", id, got)
		}
		for prop, want := range map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap", "CodeUri": "."} {
			if got := str(tp.functionProp(fn, prop)); got != want {
				t.Errorf("%s: %s = %q, want %q", id, prop, got, want)
			}
		}
		if got := fmt.Sprint(tp.functionProp(fn, "Architectures")); got != "[arm64]" {
			t.Errorf("%s: Architectures = %s, want [arm64]", id, got)
		}
		recipe := makeRecipe(string(mk), "build-"+id)
		if recipe == "" {
			t.Errorf("Makefile.pipeline.mk has no target build-%s (sam build runs it)", id)
			continue
		}
		for _, want := range []string{"$(ARTIFACTS_DIR)/bootstrap", "./functions/" + dir, "$(LAMBDA_ENV)", "$(LAMBDA_GOFLAGS)"} {
			if !strings.Contains(recipe, want) {
				t.Errorf("build-%s recipe %q lacks %s", id, recipe, want)
			}
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "-tags lambda.norpc"} {
		if !strings.Contains(string(mk), want) {
			t.Errorf("Makefile.pipeline.mk does not build with %s", want)
		}
	}
	// The root Makefile is what sam build runs; it must pull these targets in.
	if b, err := os.ReadFile(filepath.Join(root, "Makefile")); err == nil && !bytes.Contains(b, []byte("include Makefile.pipeline.mk")) {
		t.Error("the root Makefile does not include Makefile.pipeline.mk")
	}
}

// makeRecipe returns the recipe lines of target, or "".
func makeRecipe(mk, target string) string {
	lines := strings.Split(mk, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, target+":") {
			var b strings.Builder
			for _, r := range lines[i+1:] {
				if !strings.HasPrefix(r, "\t") {
					break
				}
				b.WriteString(r)
				b.WriteByte('\n')
			}
			return b.String()
		}
	}
	return ""
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// loadASL reads the state machine definition.
func loadASL(t testing.TB) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "infra", "statemachine.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	var def map[string]any
	if err := json.Unmarshal(b, &def); err != nil {
		t.Fatalf("statemachine.asl.json: %v", err)
	}
	return def
}
