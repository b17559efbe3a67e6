// Package cli is the cja-sdr command: the reference tool's flags, messages,
// outputs and exit codes, wired to the internal packages. Everything it needs
// from the outside world comes in through Env, so tests drive it directly.
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/cja-sdr/cja-sdr/internal/cache"
	"github.com/cja-sdr/cja-sdr/internal/cja"
	"github.com/cja-sdr/cja-sdr/internal/config"
	"github.com/cja-sdr/cja-sdr/internal/dataviews"
	"github.com/cja-sdr/cja-sdr/internal/render"
	"github.com/cja-sdr/cja-sdr/internal/sampleorg"
)

// Version of cja-sdr. It keeps the reference tool's interface (v3.0.6).
const Version = "1.0.0"

// Exit codes, in one place: cron users rely on them.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitInterrupted = 130
)

// Env is everything the command takes from its surroundings.
type Env struct {
	Args           []string
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// WorkDir is where relative paths (output dir, config file, logs/) start.
	WorkDir string
	// StderrIsTerminal turns on the progress bar; StdoutIsTerminal, colours.
	StderrIsTerminal, StdoutIsTerminal bool
	Now                                func() time.Time
	// HTTPClient talks to IMS and CJA (nil: a default client). Ignored by --demo.
	HTTPClient *http.Client
	// Demo, if set, replaces the built-in sample organisation used by --demo
	// (tests inject latency or faults through it).
	Demo *sampleorg.Server
	// ClientConfig, if set, adjusts the API client's settings just before the
	// client is built: tests shorten time-outs and backoffs, or record waits,
	// through it. The command itself never sets it.
	ClientConfig func(*cja.Config)
}

func (e *Env) path(p string) string {
	if filepath.IsAbs(p) || e.WorkDir == "" {
		return p
	}
	return filepath.Join(e.WorkDir, p)
}

// Run executes one command line and returns the exit code.
func Run(ctx context.Context, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	o, err := parseArgs(env.Args, env.Getenv)
	if err != nil {
		return usageFail(env, err.Error())
	}
	switch {
	case o.help:
		fmt.Fprint(env.Stdout, helpText())
		return ExitOK
	case o.version:
		fmt.Fprintf(env.Stdout, "cja-sdr %s\n", Version)
		return ExitOK
	case o.sampleConfig:
		return writeSampleConfig(env)
	}
	if code, ok := validateOptions(env, &o); !ok {
		return code
	}
	r := &runner{env: env, o: o}
	return r.run(ctx)
}

func usageFail(env Env, msg string) int {
	fmt.Fprintln(env.Stderr, usageLine)
	fmt.Fprintf(env.Stderr, "cja-sdr: error: %s\n", msg)
	return ExitFailure
}

func errorf(env Env, format string, a ...any) int {
	fmt.Fprintf(env.Stderr, "ERROR: "+format+"\n", a...)
	return ExitFailure
}

// validateOptions applies the reference tool's bounds and messages.
func validateOptions(env Env, o *options) (int, bool) {
	switch {
	case o.workers < 1:
		return errorf(env, "--workers must be at least 1"), false
	case o.workers > 256:
		return errorf(env, "--workers cannot exceed 256"), false
	case o.cacheSize < 1:
		return errorf(env, "--cache-size must be at least 1"), false
	case o.cacheTTL < 1:
		return errorf(env, "--cache-ttl must be at least 1 second"), false
	case o.maxIssues < 0:
		return errorf(env, "--max-issues cannot be negative"), false
	}
	if _, ok := parseLevel(o.logLevel); !ok {
		return usageFail(env, fmt.Sprintf("argument --log-level: invalid choice: '%s' (choose from 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')", o.logLevel)), false
	}
	if o.listDataViews {
		if o.format != "excel" && o.format != "json" && o.format != "table" {
			return errorf(env, "--list-dataviews supports --format json (or the default table), not %q", o.format), false
		}
	} else if _, err := render.ParseFormat(o.format); err != nil {
		return errorf(env, "%v", err), false
	}
	if o.listDataViews {
		return 0, true
	}
	if len(o.ids) == 0 && !o.all {
		return usageFail(env, "the following arguments are required: DATA_VIEW_ID"), false
	}
	if len(o.ids) > 0 && o.all {
		return errorf(env, "--all processes every data view; do not also list data view IDs"), false
	}
	unique, invalid := dataviews.Normalize(o.ids)
	if len(invalid) > 0 {
		fmt.Fprintln(env.Stderr, dataviews.InvalidIDMessage(invalid))
		return ExitFailure, false
	}
	if len(unique) == 0 && !o.all {
		// Only empty or blank IDs, e.g. `cja-sdr $(cat empty.txt)` quoted.
		return usageFail(env, "the following arguments are required: DATA_VIEW_ID (the IDs given were empty)"), false
	}
	o.ids = unique
	return 0, true
}

func writeSampleConfig(env Env) int {
	path := env.path("myconfig.sample.json")
	if err := os.WriteFile(path, config.SampleConfig(), 0o600); err != nil {
		return errorf(env, "cannot write %s: %v", path, err)
	}
	fmt.Fprintf(env.Stdout, "Sample configuration written to %s\n", path)
	fmt.Fprintln(env.Stdout, "Fill in org_id, client_id, secret and scopes from your OAuth Server-to-Server")
	fmt.Fprintln(env.Stdout, "credential in the Adobe Developer Console, then save it as myconfig.json.")
	return ExitOK
}

// runner holds one invocation's state once the arguments are valid.
type runner struct {
	env      Env
	o        options
	log      *slog.Logger
	handler  *lineHandler
	logFile  *os.File
	logPath  string
	progress *progressBar
	client   *cja.Client
	// cacheStats reports validation cache hits and misses (nil without a cache).
	cacheStats func() cache.Stats
}

func (r *runner) run(ctx context.Context) int {
	if err := r.setupLogging(); err != nil {
		return errorf(r.env, "%v", err)
	}
	defer r.closeLog()
	creds, err := r.credentials()
	if err == nil {
		r.handler.redact = []string{creds.Secret}
		err = r.connect(creds)
	}
	if err == nil {
		err = r.client.Authenticate(ctx)
	}
	if err != nil {
		if code, ok := r.interrupted(ctx); ok {
			return code
		}
		// The reference tool's words for any failure before the first data view.
		msg := "CJA initialization failed: " + err.Error()
		r.log.Error(msg)
		return ExitFailure
	}
	switch {
	case r.o.listDataViews:
		return r.listDataViews(ctx)
	case r.o.dryRun:
		return r.dryRun(ctx)
	}
	return r.generate(ctx)
}

// interrupted reports (and logs) a run stopped by Ctrl-C before any data
// view started, which is exit 130 like any interruption, not a failure.
func (r *runner) interrupted(ctx context.Context) (int, bool) {
	if ctx.Err() == nil {
		return 0, false
	}
	r.log.Error("Interrupted before any data view started; nothing was processed (run it again)")
	return ExitInterrupted, true
}

// credentials come from the config file and environment, or are the sample
// organisation's own with --demo.
func (r *runner) credentials() (config.Credentials, error) {
	if r.o.demo {
		d := sampleorg.DemoCredentials()
		return config.Credentials{OrgID: d.OrgID, ClientID: d.ClientID, Secret: d.Secret, Scopes: d.Scopes,
			IMSURL: sampleorg.DemoIMSURL, CJAURL: sampleorg.DemoCJAURL, RateLimit: -1}, nil
	}
	creds, warnings, err := config.Load(r.env.path(r.o.configFile), r.env.Getenv)
	for _, w := range warnings {
		fmt.Fprintf(r.env.Stderr, "WARNING: %s\n", w)
	}
	return creds, err
}

func (r *runner) connect(creds config.Credentials) error {
	httpClient := r.env.HTTPClient
	if r.o.demo {
		demo := r.env.Demo
		if demo == nil {
			demo = sampleorg.New(sampleorg.Options{})
		}
		httpClient = demo.Client()
	}
	cfg := cja.Config{
		OrgID: creds.OrgID, ClientID: creds.ClientID, Secret: creds.Secret, Scopes: creds.Scopes,
		IMSURL: creds.IMSURL, CJAURL: creds.CJAURL, HTTPClient: httpClient, RateLimit: creds.RateLimit,
		Logger: r.log,
	}
	if r.env.ClientConfig != nil {
		r.env.ClientConfig(&cfg)
	}
	c, err := cja.New(cfg)
	if err != nil {
		return err
	}
	r.client = c
	return nil
}
