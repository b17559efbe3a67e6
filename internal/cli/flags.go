package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// options are the parsed command line. Field names follow the flags.
type options struct {
	ids             []string
	batch           bool
	workers         int
	outputDir       string
	configFile      string
	continueOnError bool
	logLevel        string
	production      bool
	quiet           bool
	enableCache     bool
	clearCache      bool
	cacheSize       int
	cacheTTL        int
	format          string
	formatSet       bool
	dryRun          bool
	listDataViews   bool
	sampleConfig    bool
	skipValidation  bool
	maxIssues       int
	version         bool
	help            bool
	all             bool
	demo            bool
}

// flagSpec describes one flag: its names, its argument (empty for switches)
// and its help line. One table drives parsing and help, so they cannot drift.
type flagSpec struct {
	names []string
	arg   string
	help  string
	set   func(o *options, v string) error
}

func intFlag(dst func(*options) *int) func(*options, string) error {
	return func(o *options, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("invalid int value: '%s'", v)
		}
		*dst(o) = n
		return nil
	}
}

func boolFlag(dst func(*options) *bool) func(*options, string) error {
	return func(o *options, _ string) error { *dst(o) = true; return nil }
}

var flagSpecs = []flagSpec{
	{[]string{"-h", "--help"}, "", "show this help message and exit", boolFlag(func(o *options) *bool { return &o.help })},
	{[]string{"--batch"}, "", "force batch mode (automatic with more than one data view)", boolFlag(func(o *options) *bool { return &o.batch })},
	{[]string{"--all"}, "", "process every data view the credentials can see", boolFlag(func(o *options) *bool { return &o.all })},
	{[]string{"--workers"}, "N", "parallel workers for batch mode, 1-256 (default: 4)", intFlag(func(o *options) *int { return &o.workers })},
	{[]string{"--output-dir"}, "PATH", "directory for the SDR files, created if missing (default: .)", func(o *options, v string) error { o.outputDir = v; return nil }},
	{[]string{"--config-file"}, "PATH", "credentials file (default: myconfig.json)", func(o *options, v string) error { o.configFile = v; return nil }},
	{[]string{"--continue-on-error"}, "", "keep processing after a data view fails", boolFlag(func(o *options) *bool { return &o.continueOnError })},
	{[]string{"--log-level"}, "LEVEL", "DEBUG, INFO, WARNING, ERROR or CRITICAL (default: INFO, or env CJA_LOG_LEVEL)", func(o *options, v string) error { o.logLevel = v; return nil }},
	{[]string{"--production"}, "", "minimal logging (WARNING and above)", boolFlag(func(o *options) *bool { return &o.production })},
	{[]string{"-q", "--quiet"}, "", "errors and the final summary only; no progress bar", boolFlag(func(o *options) *bool { return &o.quiet })},
	{[]string{"--enable-cache"}, "", "cache data quality results between runs", boolFlag(func(o *options) *bool { return &o.enableCache })},
	{[]string{"--clear-cache"}, "", "empty the validation cache first (with --enable-cache)", boolFlag(func(o *options) *bool { return &o.clearCache })},
	{[]string{"--cache-size"}, "N", "maximum cached entries, at least 1 (default: 1000)", intFlag(func(o *options) *int { return &o.cacheSize })},
	{[]string{"--cache-ttl"}, "N", "cache time-to-live in seconds, at least 1 (default: 3600)", intFlag(func(o *options) *int { return &o.cacheTTL })},
	{[]string{"--format"}, "F", "excel, csv, json, html, markdown or all (default: excel)", func(o *options, v string) error { o.format, o.formatSet = v, true; return nil }},
	{[]string{"--dry-run", "--validate-only"}, "", "check the configuration, the connection and each data view; write nothing", boolFlag(func(o *options) *bool { return &o.dryRun })},
	{[]string{"--list-dataviews"}, "", "list the data views you can access (ID, name, owner) and exit", boolFlag(func(o *options) *bool { return &o.listDataViews })},
	{[]string{"--sample-config"}, "", "write myconfig.sample.json and exit", boolFlag(func(o *options) *bool { return &o.sampleConfig })},
	{[]string{"--skip-validation"}, "", "skip the data quality checks (empty Data Quality sheet)", boolFlag(func(o *options) *bool { return &o.skipValidation })},
	{[]string{"--max-issues"}, "N", "keep only the top N data quality issues by severity, 0 = all (default: 0)", intFlag(func(o *options) *int { return &o.maxIssues })},
	{[]string{"--demo"}, "", "run against the built-in sample organisation: no credentials, no network", boolFlag(func(o *options) *bool { return &o.demo })},
	{[]string{"--version"}, "", "print the version and exit", boolFlag(func(o *options) *bool { return &o.version })},
}

// lookupFlag finds a flag by name or, as argparse allows (and scripts
// written for the reference tool may use), by an unambiguous prefix of a
// long name: --output for --output-dir.
func lookupFlag(name string) (flagSpec, error) {
	var matches []flagSpec
	var matched []string
	for _, f := range flagSpecs {
		for _, n := range f.names {
			if n == name {
				return f, nil
			}
			if strings.HasPrefix(name, "--") && len(name) > 2 && strings.HasPrefix(n, name) {
				matches = append(matches, f)
				matched = append(matched, n)
			}
		}
	}
	switch len(matches) {
	case 0:
		return flagSpec{}, fmt.Errorf("unrecognized arguments: %s", name)
	case 1:
		return matches[0], nil
	}
	return flagSpec{}, fmt.Errorf("ambiguous option: %s could match %s", name, strings.Join(matched, ", "))
}

// usageError is a command-line mistake: printed after the usage line, exit 1.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// parseArgs reads flags and data view IDs in any order, as argparse does:
// `cja-sdr dv_1 dv_2 --workers 8` and `cja-sdr --workers 8 dv_1 dv_2` both work.
func parseArgs(args []string, getenv func(string) string) (options, error) {
	o := options{
		workers:    4,
		outputDir:  ".",
		configFile: "myconfig.json",
		logLevel:   "INFO",
		cacheSize:  1000,
		cacheTTL:   3600,
		format:     "excel",
	}
	if lvl := getenv("CJA_LOG_LEVEL"); lvl != "" {
		o.logLevel = lvl
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			o.ids = append(o.ids, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			o.ids = append(o.ids, a)
			continue
		}
		name, value, hasValue := strings.Cut(a, "=")
		spec, err := lookupFlag(name)
		if err != nil {
			return o, usageError{err.Error()}
		}
		if spec.arg == "" {
			if hasValue {
				return o, usageError{fmt.Sprintf("argument %s: ignored explicit argument '%s'", name, value)}
			}
			_ = spec.set(&o, "")
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return o, usageError{fmt.Sprintf("argument %s: expected one argument", strings.Join(spec.names, "/"))}
			}
			i++
			value = args[i]
		}
		if err := spec.set(&o, value); err != nil {
			return o, usageError{fmt.Sprintf("argument %s: %v", name, err)}
		}
	}
	return o, nil
}

const usageLine = "usage: cja-sdr [-h] [--batch] [--all] [--workers N] [--output-dir PATH] [--config-file PATH] [--continue-on-error] [--log-level LEVEL] [--production] [-q] [--enable-cache] [--clear-cache] [--cache-size N] [--cache-ttl N] [--format F] [--dry-run] [--list-dataviews] [--sample-config] [--skip-validation] [--max-issues N] [--demo] [--version] DATA_VIEW_ID [DATA_VIEW_ID ...]"

func helpText() string {
	var b strings.Builder
	b.WriteString(usageLine + "\n\n")
	b.WriteString("Generate Solution Design Reference (SDR) documents for Adobe Customer Journey\nAnalytics data views: one data view, or many in parallel.\n\n")
	b.WriteString("positional arguments:\n  DATA_VIEW_ID          data view IDs to process (they start with dv_)\n\noptions:\n")
	for _, f := range flagSpecs {
		left := strings.Join(f.names, ", ")
		if f.arg != "" {
			left += " " + f.arg
		}
		fmt.Fprintf(&b, "  %-22s%s\n", left, f.help)
	}
	b.WriteString(`
examples:
  cja-sdr --demo --all                        try it on the built-in sample organisation
  cja-sdr --sample-config                     write myconfig.sample.json to fill in
  cja-sdr dv_677ea9291244fd082f02dd42         one data view, Excel SDR in .
  cja-sdr --batch dv_1 dv_2 dv_3 --workers 8  several in parallel
  cja-sdr --batch $(cat dataviews.txt) --continue-on-error --output-dir ./reports
  cja-sdr --all --format all                  every data view, every format
  cja-sdr --list-dataviews --format json      data views as JSON, for scripts
  cja-sdr dv_1 --dry-run                      check credentials and access only

credentials: myconfig.json (org_id, client_id, secret, scopes), or the
environment variables ORG_ID, CLIENT_ID, SECRET, SCOPES (CJA_IMS_URL and
CJA_API_URL point at other hosts). Exit status: 0 success, 1 failure or bad
arguments, 130 interrupted.
`)
	return b.String()
}
