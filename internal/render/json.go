package render

import (
	"bufio"
	"fmt"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/sdr"
)

// writeJSON stores one JSON document:
//
//	{"metadata": {...}, "data_view": {...}, "metrics": [...],
//	 "dimensions": [...], "data_quality": [...]}
//
// Metrics, dimensions and the data view are the API's objects unchanged
// (full fidelity, no truncation); metadata is the Metadata sheet as an object
// plus "Issue Summary". Components are encoded one at a time so a 50,000
// component data view never needs one giant buffer.
func writeJSON(j *job) error {
	return j.put(j.base+".json", func(w *bufio.Writer) error {
		e := newJSONWriter(w)
		w.WriteString("{\n  \"metadata\": ")
		if err := e.metadata(j); err != nil {
			return err
		}
		w.WriteString(",\n  \"data_view\": ")
		if err := e.value(j.doc.DataView, "  "); err != nil {
			return err
		}
		for _, list := range []struct {
			key   string
			comps []cja.Component
		}{{"metrics", j.doc.Metrics}, {"dimensions", j.doc.Dimensions}} {
			fmt.Fprintf(w, ",\n  %q: [", list.key)
			for i, c := range list.comps {
				if err := j.rowCheck(i); err != nil {
					return err
				}
				if err := e.element(i, c); err != nil {
					return err
				}
			}
			e.endList(len(list.comps))
		}
		w.WriteString(",\n  \"data_quality\": [")
		for i, is := range j.doc.Issues {
			if err := e.element(i, is); err != nil {
				return err
			}
		}
		e.endList(len(j.doc.Issues))
		w.WriteString("\n}\n")
		return nil
	})
}

// jsonWriter encodes values through one reusable scratch buffer, with
// sdr.AppendJSON (encoding/json's output, several times faster on API maps).
type jsonWriter struct {
	w       *bufio.Writer
	scratch []byte
}

func newJSONWriter(w *bufio.Writer) *jsonWriter { return &jsonWriter{w: w} }

// value writes v indented for its position (prefix = its line's indent).
func (e *jsonWriter) value(v any, prefix string) error {
	b, err := sdr.AppendJSON(e.scratch[:0], v, prefix)
	if err != nil {
		return err
	}
	e.scratch = b
	_, err = e.w.Write(b)
	return err
}

// element writes the i-th element of a list at depth 2.
func (e *jsonWriter) element(i int, v any) error {
	if i > 0 {
		e.w.WriteByte(',')
	}
	e.w.WriteString("\n    ")
	return e.value(v, "    ")
}

func (e *jsonWriter) endList(n int) {
	if n > 0 {
		e.w.WriteString("\n  ")
	}
	e.w.WriteByte(']')
}

// metadata writes the Metadata rows as an object in sheet order (a Go map
// would sort the keys), then the issue summary.
func (e *jsonWriter) metadata(j *job) error {
	e.w.WriteString("{")
	for _, row := range j.doc.MetadataSheet().Rows {
		e.w.WriteString("\n    ")
		if err := e.value(row[0], ""); err != nil {
			return err
		}
		e.w.WriteString(": ")
		if err := e.value(row[1], ""); err != nil {
			return err
		}
		e.w.WriteByte(',')
	}
	e.w.WriteString("\n    \"Issue Summary\": {")
	for i, kv := range j.doc.IssueSummary() {
		if i > 0 {
			e.w.WriteByte(',')
		}
		fmt.Fprintf(e.w, "\n      %q: %d", kv[0], kv[1])
	}
	e.w.WriteString("\n    }\n  }")
	return nil
}
