package render

import (
	"bufio"
	"html"
	"strings"

	"github.com/cja-sdr/cja-sdr/internal/sdr"
)

// htmlStyle is inlined so the page is one self-contained file: SDRs are
// mailed and archived, and must not depend on anything external. Cells keep
// their line breaks (pre-wrap) so nested JSON stays readable.
const htmlStyle = `
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:2px solid #1F4E78}
nav a{margin-right:12px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
th{background:#1F4E78;color:#fff;text-align:left;position:sticky;top:0}
th,td{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top}
td{white-space:pre-wrap;overflow-wrap:break-word;max-width:60ch}
tbody tr:nth-child(even){background:#F2F2F2}
td.name{font-weight:bold}
tr.sev-critical{background:#FFC7CE!important}tr.sev-high{background:#FFD8B1!important}
tr.sev-medium{background:#FFEB9C!important}tr.sev-low{background:#DDEBF7!important}
tr.sev-info{background:#E7E6E6!important}
`

// writeHTML stores one self-contained page with the five tables (inline CSS,
// no scripts). Every value is HTML-escaped.
func writeHTML(j *job) error {
	return j.put(j.base+".html", func(w *bufio.Writer) error {
		title := "SDR: " + cleanText(j.doc.DataView.Name())
		w.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
		w.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
		w.WriteString(html.EscapeString(title))
		w.WriteString("</title>\n<style>" + htmlStyle + "</style>\n</head>\n<body>\n<h1>")
		w.WriteString(html.EscapeString(title))
		w.WriteString("</h1>\n<nav>")
		for _, sh := range j.tables() {
			w.WriteString(`<a href="#` + anchor(sh.Name) + `">` + html.EscapeString(sh.Name) + "</a>")
		}
		w.WriteString("</nav>\n")
		for _, sh := range j.tables() {
			w.WriteString(`<section id="` + anchor(sh.Name) + "\">\n<h2>" + html.EscapeString(sh.Name) + "</h2>\n")
			if sh.Name == sdr.SheetDataQuality {
				htmlSummary(w, j.doc.IssueSummary())
			}
			if err := htmlTable(j, w, sh); err != nil {
				return err
			}
			w.WriteString("</section>\n")
		}
		w.WriteString("</body>\n</html>\n")
		return nil
	})
}

// htmlSummary is the Issue Summary block above the Data Quality table.
func htmlSummary(w *bufio.Writer, summary [][2]any) {
	w.WriteString("<h3>Issue Summary</h3>\n<table class=\"summary\"><thead><tr><th>Severity</th><th>Count</th></tr></thead><tbody>\n")
	for _, kv := range summary {
		sev := kv[0].(string)
		w.WriteString(`<tr class="sev-` + strings.ToLower(sev) + `"><td>` + html.EscapeString(withIcon(sev)) +
			"</td><td>" + formatCell(kv[1]) + "</td></tr>\n")
	}
	w.WriteString("</tbody></table>\n")
}

func htmlTable(j *job, w *bufio.Writer, sh sdr.Sheet) error {
	dq := sh.Name == sdr.SheetDataQuality
	nameCol := boldColumn(sh)
	w.WriteString("<table class=\"data\"><thead><tr>")
	for _, c := range sh.Columns {
		w.WriteString("<th>" + html.EscapeString(cleanText(c)) + "</th>")
	}
	w.WriteString("</tr></thead>\n<tbody>\n")
	for i, row := range sh.Rows {
		if err := j.rowCheck(i); err != nil {
			return err
		}
		if sev, ok := row[0].(string); dq && ok {
			w.WriteString(`<tr class="sev-` + html.EscapeString(strings.ToLower(sev)) + `">`)
		} else {
			w.WriteString("<tr>")
		}
		for k, v := range row {
			text := cleanText(formatCell(v))
			if dq && k == 0 {
				text = withIcon(text)
			}
			if k == nameCol {
				w.WriteString(`<td class="name">`)
			} else {
				w.WriteString("<td>")
			}
			htmlEscaper.WriteString(w, text)
			w.WriteString("</td>")
		}
		w.WriteString("</tr>\n")
	}
	w.WriteString("</tbody></table>\n")
	return nil
}

// htmlEscaper escapes like html.EscapeString but can write straight into
// the output, which matters at a million cells.
var htmlEscaper = strings.NewReplacer(`&`, "&amp;", `'`, "&#39;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;")

// anchor turns a sheet name into an id ("Data Quality" -> "data-quality").
func anchor(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, " ", "-"))
}

// boldColumn is the column shown bold: the component name, or the property
// name on the two-column sheets; -1 for none.
func boldColumn(sh sdr.Sheet) int {
	if len(sh.Columns) > 0 && (sh.Columns[0] == "name" || sh.Columns[0] == "Property") {
		return 0
	}
	return -1
}
