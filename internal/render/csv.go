package render

import (
	"bufio"
	"encoding/csv"
)

// writeCSV stores one CSV file per sheet in <base>_csv/<Sheet>.csv. The Data
// Quality file holds just the issue table (no summary block) so it stays a
// plain table for other tools.
func writeCSV(j *job) error {
	for _, sh := range j.tables() {
		err := j.put(j.base+"_csv/"+sh.Name+".csv", func(w *bufio.Writer) error {
			cw := csv.NewWriter(w)
			record := make([]string, len(sh.Columns))
			for i, c := range sh.Columns {
				record[i] = csvText(c)
			}
			if err := cw.Write(record); err != nil {
				return err
			}
			for i, row := range sh.Rows {
				if err := j.rowCheck(i); err != nil {
					return err
				}
				for k, v := range row {
					if s, ok := v.(string); ok {
						record[k] = csvText(s)
					} else {
						// Numbers stay numbers: a negative metric value
						// written from a numeric cell is not an injection.
						record[k] = formatCell(v)
					}
				}
				if err := cw.Write(record); err != nil {
					return err
				}
			}
			cw.Flush()
			return cw.Error()
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// csvText neutralises spreadsheet formula injection (CWE-1236): a text cell
// starting with =, +, -, @, tab or carriage return would be evaluated by
// Excel or LibreOffice on open, so it gets a leading apostrophe, which those
// programs show as text.
func csvText(s string) string {
	s = cleanText(s)
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
