package quality

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/cja-sdr/cja-sdr/internal/cja"
)

// Categories of the Data Quality sheet, as the reference tool names them.
const (
	CategoryEmptyData           = "Empty Data"
	CategoryMissingFields       = "Missing Fields"
	CategoryDuplicates          = "Duplicates"
	CategoryNullValues          = "Null Values"
	CategoryMissingDescriptions = "Missing Descriptions"
	CategoryInvalidIDs          = "Invalid IDs"
	CategorySummary             = "Summary"
)

// NoIssues is the Issue text of the single INFO row of a clean data view.
const NoIssues = "No data quality issues detected"

// maxListed caps how many item names one row lists: a data view with 5,000
// undocumented dimensions must not produce a 100 KB cell.
const maxListed = 10

// requiredFields must be present in the API response (Missing Fields).
var requiredFields = []string{"id", "name", "type"}

// nullableFields are checked for null or absent values (Null Values).
var nullableFields = []string{"id", "name", "description"}

// Check runs the six checks on each component type and returns the issues
// sorted by severity, category, type and item. A clean data view yields
// exactly one INFO row. Input order never changes the output.
//
// Semantics, following the reference tool (which works on a table whose
// columns are the union of the components' keys):
//   - Empty Data: no components of that type; its other checks are skipped.
//   - Missing Fields: id, name or type absent from every component (the
//     column does not exist); the type's remaining checks are skipped.
//   - Duplicates: a non-empty name used by more than one component.
//   - Null Values: id, name or description null or absent on some component.
//   - Missing Descriptions: description null, absent, blank or "n/a".
//   - Invalid IDs: id null, absent, not a string or blank.
func Check(metrics, dimensions []cja.Component) []Issue {
	issues := checkType("Metrics", metrics)
	issues = append(issues, checkType("Dimensions", dimensions)...)
	if len(issues) == 0 {
		return []Issue{{
			Severity: Info,
			Category: CategorySummary,
			Type:     "All",
			ItemName: "N/A",
			Issue:    NoIssues,
			Details: fmt.Sprintf("All checks passed for %d metrics and %d dimensions",
				len(metrics), len(dimensions)),
		}}
	}
	sortIssues(issues)
	return issues
}

// Top returns the first n issues (all of them when n <= 0). The result
// shares the input's array but has no spare capacity, so appending to it
// cannot overwrite the caller's later issues.
func Top(issues []Issue, n int) []Issue {
	if n <= 0 || n >= len(issues) {
		return issues
	}
	return issues[:n:n]
}

// CountBySeverity counts issues per severity. Severities without issues are
// absent from the map.
func CountBySeverity(issues []Issue) map[Severity]int {
	counts := make(map[Severity]int, len(Severities))
	for _, is := range issues {
		counts[is.Severity]++
	}
	return counts
}

// sortIssues orders by severity rank, category, type and item name. The sort
// is stable so rows that tie on every key keep the order the checks made.
func sortIssues(issues []Issue) {
	slices.SortStableFunc(issues, func(a, b Issue) int {
		return cmp.Or(
			cmp.Compare(a.Severity.Rank(), b.Severity.Rank()),
			strings.Compare(a.Category, b.Category),
			strings.Compare(a.Type, b.Type),
			strings.Compare(a.ItemName, b.ItemName),
		)
	})
}

// checkType runs the checks for one component type ("Metrics" or
// "Dimensions") in a single pass over the components.
func checkType(typ string, comps []cja.Component) []Issue {
	noun := strings.ToLower(typ)
	if len(comps) == 0 {
		return []Issue{{
			Severity: Critical,
			Category: CategoryEmptyData,
			Type:     typ,
			ItemName: "N/A",
			Issue:    "No " + noun + " found in data view",
			Details:  "The API returned an empty list of " + noun,
		}}
	}
	if missing := missingFields(comps); len(missing) > 0 {
		return []Issue{{
			Severity: Critical,
			Category: CategoryMissingFields,
			Type:     typ,
			ItemName: "N/A",
			Issue:    "Required fields missing from API response",
			Details: fmt.Sprintf("Missing fields: %s (absent from all %d %s)",
				strings.Join(missing, ", "), len(comps), noun),
		}}
	}

	var (
		names       = make(map[string]int, len(comps))
		nulls       = make(map[string][]string, len(nullableFields))
		missingDesc []string
		invalidIDs  []string
	)
	for _, c := range comps {
		label := itemLabel(c)
		if n, ok := c["name"].(string); ok && n != "" {
			names[n]++
		}
		for _, f := range nullableFields {
			if v, ok := c[f]; !ok || v == nil {
				nulls[f] = append(nulls[f], label)
			}
		}
		if descriptionMissing(c) {
			missingDesc = append(missingDesc, label)
		}
		if id, ok := c["id"].(string); !ok || strings.TrimSpace(id) == "" {
			invalidIDs = append(invalidIDs, label)
		}
	}

	var issues []Issue
	if dup := duplicates(names); len(dup) > 0 {
		issues = append(issues, duplicateIssue(typ, noun, dup))
	}
	for _, f := range nullableFields {
		items := nulls[f]
		if len(items) == 0 {
			continue
		}
		issues = append(issues, Issue{
			Severity: Medium,
			Category: CategoryNullValues,
			Type:     typ,
			ItemName: listItems(items),
			Issue:    fmt.Sprintf("Null values in %q field", f),
			Details: fmt.Sprintf("%d of %d %s have no %s (null or absent)",
				len(items), len(comps), noun, f),
		})
	}
	if len(missingDesc) > 0 {
		issues = append(issues, Issue{
			Severity: Low,
			Category: CategoryMissingDescriptions,
			Type:     typ,
			ItemName: listItems(missingDesc),
			Issue:    count(len(missingDesc), noun) + " without descriptions",
			Details: fmt.Sprintf("%d of %d %s have a null, absent, empty or \"n/a\" description",
				len(missingDesc), len(comps), noun),
		})
	}
	if len(invalidIDs) > 0 {
		issues = append(issues, Issue{
			Severity: High,
			Category: CategoryInvalidIDs,
			Type:     typ,
			ItemName: listItems(invalidIDs),
			Issue:    count(len(invalidIDs), noun) + " with missing or invalid IDs",
			Details: fmt.Sprintf("%d of %d %s have a null, absent or empty id; items without valid IDs may cause issues in reporting",
				len(invalidIDs), len(comps), noun),
		})
	}
	return issues
}

// missingFields lists the required fields that no component carries.
func missingFields(comps []cja.Component) []string {
	var missing []string
	for _, f := range requiredFields {
		found := false
		for _, c := range comps {
			if _, ok := c[f]; ok {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, f)
		}
	}
	return missing
}

// descriptionMissing reports whether a description is null, absent, blank or
// the literal "n/a" the API uses as a placeholder.
func descriptionMissing(c cja.Component) bool {
	v, ok := c["description"]
	if !ok || v == nil {
		return true
	}
	s, ok := v.(string)
	if !ok {
		return false // a non-string description is unusual but present
	}
	s = strings.TrimSpace(s)
	return s == "" || strings.EqualFold(s, "n/a")
}

// itemLabel names a component in the Item Name column: its name, else its
// id, else a fixed placeholder (never its position, which would make the
// output depend on input order).
func itemLabel(c cja.Component) string {
	if n := strings.TrimSpace(c.Name()); n != "" {
		return n
	}
	if id := strings.TrimSpace(c.ID()); id != "" {
		return id
	}
	return "(unnamed)"
}

type nameCount struct {
	name  string
	count int
}

// duplicates returns the names used more than once, most used first.
func duplicates(names map[string]int) []nameCount {
	var dup []nameCount
	for n, c := range names {
		if c > 1 {
			dup = append(dup, nameCount{n, c})
		}
	}
	slices.SortFunc(dup, func(a, b nameCount) int {
		return cmp.Or(cmp.Compare(b.count, a.count), strings.Compare(a.name, b.name))
	})
	return dup
}

func duplicateIssue(typ, noun string, dup []nameCount) Issue {
	total := 0
	names := make([]string, len(dup))
	counted := make([]string, 0, min(len(dup), maxListed))
	for i, d := range dup {
		total += d.count
		names[i] = d.name
		if i < maxListed {
			counted = append(counted, fmt.Sprintf("%s (%d)", d.name, d.count))
		}
	}
	details := fmt.Sprintf("%d %s share %s: %s", total, noun, count(len(dup), "names"), strings.Join(counted, ", "))
	if len(dup) > maxListed {
		details += fmt.Sprintf(", ... and %d more", len(dup)-maxListed)
	}
	issue := fmt.Sprintf("%d duplicate names", len(dup))
	if len(dup) == 1 {
		issue = fmt.Sprintf("Duplicate name found %d times", dup[0].count)
	}
	return Issue{
		Severity: High,
		Category: CategoryDuplicates,
		Type:     typ,
		ItemName: joinCapped(names), // most duplicated first, like Details
		Issue:    issue,
		Details:  details,
	}
}

// listItems sorts the names (so input order does not matter) and lists up to
// maxListed of them, then "... and N more".
func listItems(items []string) string {
	sorted := slices.Clone(items)
	slices.Sort(sorted)
	return joinCapped(sorted)
}

// joinCapped joins up to maxListed items, then "... and N more".
func joinCapped(items []string) string {
	if len(items) <= maxListed {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:maxListed], ", ") + fmt.Sprintf(", ... and %d more", len(items)-maxListed)
}

// count writes "1 metric" or "3 metrics" from a plural noun.
func count(n int, plural string) string {
	if n == 1 {
		return "1 " + strings.TrimSuffix(plural, "s")
	}
	return fmt.Sprintf("%d %s", n, plural)
}
