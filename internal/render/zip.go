package render

import (
	"archive/zip"
	"compress/flate"
	"io"
	"sync"

	"github.com/xuri/excelize/v2"
)

// A workbook is a ZIP of XML parts. With the default zip.Writer every part
// gets a fresh deflate compressor at level 6: about a megabyte of tables
// allocated and cleared per part, which is a quarter of the CPU of a small
// SDR. Pooled compressors at BestSpeed cost a fraction of that, and XML
// compresses well at any level (the files grow by roughly a tenth).
var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(io.Discard, flate.BestSpeed) // BestSpeed is a valid level: no error
	return w
}}

// pooledFlate returns its compressor to the pool when the part is closed.
type pooledFlate struct{ *flate.Writer }

func (p pooledFlate) Close() error {
	err := p.Writer.Close()
	flateWriters.Put(p.Writer)
	return err
}

// newZipWriter is the excelize ZipWriter with pooled fast compressors.
func newZipWriter(w io.Writer) excelize.ZipWriter {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		fw := flateWriters.Get().(*flate.Writer)
		fw.Reset(out)
		return pooledFlate{fw}, nil
	})
	return zw
}
