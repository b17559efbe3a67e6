package render

import (
	"bufio"
	"strings"

	"github.com/cja-sdr/cja-sdr/internal/sdr"
)

// writeMarkdown stores one GitHub-flavoured Markdown file: a heading and a
// table per sheet, with the issue summary as a line above the Data Quality
// table (a line, not a table, so each section has exactly one table).
func writeMarkdown(j *job) error {
	return j.put(j.base+".md", func(w *bufio.Writer) error {
		w.WriteString("# Solution Design Reference: " + mdCell(j.doc.DataView.Name()) + "\n")
		for _, sh := range j.tables() {
			w.WriteString("\n## " + sh.Name + "\n\n")
			if sh.Name == sdr.SheetDataQuality {
				w.WriteString("**Issue Summary:** ")
				for i, kv := range j.doc.IssueSummary() {
					if i > 0 {
						w.WriteString(" · ")
					}
					w.WriteString(withIcon(kv[0].(string)) + ": " + formatCell(kv[1]))
				}
				w.WriteString("\n\n")
			}
			if err := mdTable(j, w, sh); err != nil {
				return err
			}
		}
		return nil
	})
}

func mdTable(j *job, w *bufio.Writer, sh sdr.Sheet) error {
	dq := sh.Name == sdr.SheetDataQuality
	w.WriteByte('|')
	for _, c := range sh.Columns {
		mdWriteCell(w, c)
	}
	w.WriteString("\n|")
	for range sh.Columns {
		w.WriteString(" --- |")
	}
	w.WriteByte('\n')
	for i, row := range sh.Rows {
		if err := j.rowCheck(i); err != nil {
			return err
		}
		w.WriteByte('|')
		for k, v := range row {
			text := formatCell(v)
			if dq && k == 0 {
				text = withIcon(text)
			}
			mdWriteCell(w, text)
		}
		w.WriteByte('\n')
	}
	return nil
}

// mdEscaper keeps a cell on one table row and literal: pipes and
// backslashes escaped, line breaks as <br>, and <, >, & as entities since
// GitHub renders inline HTML (and <br> needs HTML on).
var mdEscaper = strings.NewReplacer(
	`\`, `\\`,
	"|", `\|`,
	"\r\n", "<br>",
	"\n", "<br>",
	"\r", "<br>",
	"&", "&amp;",
	"<", "&lt;",
	">", "&gt;",
)

func mdCell(s string) string {
	return mdEscaper.Replace(cleanText(s))
}

// mdWriteCell writes " cell |" without building the escaped string.
func mdWriteCell(w *bufio.Writer, s string) {
	w.WriteByte(' ')
	mdEscaper.WriteString(w, cleanText(s))
	w.WriteString(" |")
}
