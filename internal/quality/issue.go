// Package quality runs the reference tool's six data quality checks on a data
// view's components. Everything here is pure and deterministic.
package quality

// Version changes whenever the checks change, so cached results computed by an
// older version are never reused.
const Version = "1"

// Severity of a data quality issue.
type Severity string

// Severities, most severe first.
const (
	Critical Severity = "CRITICAL"
	High     Severity = "HIGH"
	Medium   Severity = "MEDIUM"
	Low      Severity = "LOW"
	Info     Severity = "INFO"
)

// Severities lists every severity, most severe first.
var Severities = []Severity{Critical, High, Medium, Low, Info}

// Rank orders severities: 0 for CRITICAL up to 4 for INFO (5 if unknown).
func (s Severity) Rank() int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return len(Severities)
}

// Issue is one row of the Data Quality sheet.
type Issue struct {
	Severity Severity `json:"severity"`
	Category string   `json:"category"`
	Type     string   `json:"type"`      // "Metrics" or "Dimensions" (or "All")
	ItemName string   `json:"item_name"` // the component(s) concerned
	Issue    string   `json:"issue"`
	Details  string   `json:"details"`
}
