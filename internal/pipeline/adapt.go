package pipeline

import (
	"strings"

	"github.com/cja-sdr/cja-sdr/internal/dataviews"
	"github.com/cja-sdr/cja-sdr/internal/render"
)

// parseFormats accepts the formats of an input or of FORMATS the way the
// command's --format does (names, aliases, "all", comma lists).
func parseFormats(fs []string) ([]string, error) {
	return render.ParseFormat(strings.Join(fs, ","))
}

// lineProblems turns dataviews.txt line errors into summary problems.
func lineProblems(errs []dataviews.LineError) []Problem {
	out := make([]Problem, 0, len(errs))
	for _, e := range errs {
		out = append(out, Problem{Line: e.Line, Text: e.Text, Error: e.Reason})
	}
	return out
}
