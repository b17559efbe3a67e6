// Package render writes an SDR document in the output formats (Excel, CSV,
// JSON, HTML, Markdown) into a store. Every format renders the same
// sdr.Sheet view, so they all carry the same records.
package render

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/sdr"
	"github.com/cja-sdr/cja-sdr/internal/store"
)

// Formats lists the output formats in the order Write produces them.
var Formats = []string{"excel", "csv", "json", "html", "markdown"}

// aliases maps accepted spellings to format names.
var aliases = map[string]string{
	"excel": "excel", "xlsx": "excel",
	"csv":      "csv",
	"json":     "json",
	"html":     "html",
	"markdown": "markdown", "md": "markdown",
}

// ParseFormat turns a --format value into format names: one of the Formats,
// "xlsx" or "md" (aliases), "all", or a comma-separated list of these. The
// result is deduplicated and in Formats order.
func ParseFormat(s string) ([]string, error) {
	want := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		p := strings.ToLower(strings.TrimSpace(part))
		if p == "all" {
			return slices.Clone(Formats), nil
		}
		f, ok := aliases[p]
		if !ok {
			return nil, fmt.Errorf("unknown output format %q: use one of %s, or all (aliases: xlsx, md)",
				strings.TrimSpace(part), strings.Join(Formats, ", "))
		}
		want[f] = true
	}
	var out []string
	for _, f := range Formats {
		if want[f] {
			out = append(out, f)
		}
	}
	return out, nil
}

// writers holds one function per format, each in its own file.
var writers = map[string]func(*job) error{
	"excel":    writeExcel,
	"csv":      writeCSV,
	"json":     writeJSON,
	"html":     writeHTML,
	"markdown": writeMarkdown,
}

// cleanupTimeout bounds the deletes after a failure: they run even when ctx
// is cancelled, but must not hang a run.
const cleanupTimeout = 30 * time.Second

// Write renders doc in each format and stores the results under
// prefix + sdr.BaseName(...): ".xlsx", ".json", ".html", ".md", and for CSV
// one file per sheet in "_csv/<Sheet>.csv". It is all or nothing: on any
// error, including ctx being cancelled, it deletes what it already stored
// for this document and returns the error wrapped with the format's name.
func Write(ctx context.Context, st store.Store, prefix string, doc *sdr.Document, formats []string) (_ []store.Object, err error) {
	for _, f := range formats {
		if _, ok := writers[f]; !ok {
			return nil, fmt.Errorf("unknown output format %q: use one of %s", f, strings.Join(Formats, ", "))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err // before building sheets, which takes a while at 50k rows
	}
	j := &job{
		ctx:  ctx,
		st:   st,
		base: prefix + sdr.BaseName(doc.DataView.Name(), doc.DataView.ID()),
		doc:  doc,
	}
	defer func() {
		if err == nil {
			return
		}
		if cerr := j.cleanup(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	done := map[string]bool{}
	for _, f := range formats {
		if done[f] {
			continue // a repeated format would overwrite its own objects
		}
		done[f] = true
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("write %s: %w", f, err)
		}
		if err := writers[f](j); err != nil {
			return nil, fmt.Errorf("write %s: %w", f, err)
		}
	}
	return j.objects, nil
}

// job is one Write call: what to render, and what has been stored so far.
type job struct {
	ctx     context.Context
	st      store.Store
	base    string
	doc     *sdr.Document
	sheets  []sdr.Sheet // built on first use, then shared by every format
	objects []store.Object
	keys    []string // the keys we stored, for cleanup
}

// tables is the document's sheets, built once for all the tabular formats;
// a JSON-only run never builds them (about 55 ms for 10,000 components).
func (j *job) tables() []sdr.Sheet {
	if j.sheets == nil {
		j.sheets = j.doc.Sheets()
	}
	return j.sheets
}

// put stores one object through a buffered writer (renderers write many
// small pieces) and records it for cleanup.
func (j *job) put(key string, render func(w *bufio.Writer) error) error {
	obj, err := j.st.Put(j.ctx, key, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 64<<10)
		if err := render(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	j.objects = append(j.objects, obj)
	j.keys = append(j.keys, key)
	return nil
}

// cleanup deletes every object this job stored, on a context that survives
// the caller's cancellation (cancelling is exactly when cleanup is needed).
func (j *job) cleanup() error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(j.ctx), cleanupTimeout)
	defer cancel()
	var errs []error
	for _, k := range j.keys {
		if err := j.st.Delete(ctx, k); err != nil {
			errs = append(errs, fmt.Errorf("clean up %s: %w", k, err))
		}
	}
	j.objects, j.keys = nil, nil
	return errors.Join(errs...)
}

// checkEvery is how many rows a renderer writes between looks at ctx: often
// enough to stop a 50,000-row sheet promptly, rarely enough to cost nothing.
const checkEvery = 1024

// rowCheck returns ctx.Err() every checkEvery rows.
func (j *job) rowCheck(i int) error {
	if i%checkEvery == 0 {
		return j.ctx.Err()
	}
	return nil
}
