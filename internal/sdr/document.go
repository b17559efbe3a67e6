// Package sdr is the Solution Design Reference document model: what one data
// view's SDR contains, and the tabular view (sheets) every output format
// renders, so that all formats carry the same records.
package sdr

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/quality"
)

// Document is everything one SDR shows.
type Document struct {
	// Generated is when the SDR was made; its location is the timezone the
	// Metadata sheet reports.
	Generated   time.Time
	ToolVersion string
	DataView    cja.DataView
	Metrics     []cja.Component
	Dimensions  []cja.Component
	// Issues are the data quality issues, already checked, sorted and
	// limited (quality.Check, quality.Top).
	Issues []quality.Issue
	// ValidationSkipped records that the checks were not run on purpose, so
	// an empty Data Quality sheet is not mistaken for a clean data view.
	ValidationSkipped bool
}

// Limits for BaseName. They keep every output name (base + "_csv/Data
// Quality.csv" or ".xlsx") well under the 255-byte file name limit of
// common filesystems and S3's 1,024-byte key limit.
const (
	maxNameBytes = 100
	maxIDBytes   = 64
)

// BaseName is the file name stem of a data view's SDR:
// "CJA_DataView_<name>_<id>_SDR". Both parts keep only letters, digits,
// combining marks, '-' and '_'; runs of white space become one '_'; the rest
// is dropped. So the result never contains '/', '\\', '.' (hence no "..")
// or control characters and is safe as a file name and an S3 key segment.
// Empty parts become "Unnamed" and "unknown". An ID too long to keep whole is
// cut and ends with a hash of all of it, so distinct IDs keep distinct names.
func BaseName(dataViewName, id string) string {
	name := sanitizeNamePart(dataViewName, maxNameBytes)
	if name == "" {
		name = "Unnamed"
	}
	id = sanitizeNamePart(id, len(id))
	if len(id) > maxIDBytes {
		// A cut ID could name another data view's files too: end it with a
		// hash of the whole ID, so two long IDs sharing a prefix stay apart.
		sum := sha256.Sum256([]byte(id))
		id = sanitizeNamePart(id, maxIDBytes-9) + "-" + hex.EncodeToString(sum[:4])
	}
	if id == "" {
		id = "unknown"
	}
	return "CJA_DataView_" + name + "_" + id + "_SDR"
}

// sanitizeNamePart applies BaseName's character rules and cuts the result
// to at most maxBytes on a rune boundary.
func sanitizeNamePart(s string, maxBytes int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			continue
		case unicode.IsSpace(r):
			space = true
			continue
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
		default:
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte('_')
		}
		space = false
		if b.Len()+utf8.RuneLen(r) > maxBytes {
			break
		}
		b.WriteRune(r)
	}
	return strings.Trim(b.String(), "_")
}
