package cli

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// singleMode is one data view without --batch: the reference tool's single
// output block and log name.
func (o *options) singleMode() bool {
	return len(o.ids) == 1 && !o.batch && !o.all
}

// maxLogIDBytes bounds the data view ID in a log file name (real IDs are 27).
const maxLogIDBytes = 100

// setupLogging sends records to the console (stderr, at the level the flags
// choose) and, for SDR runs, to logs/SDR_*.log as the reference tool names them.
func (r *runner) setupLogging() error {
	fileLevel, _ := parseLevel(r.o.logLevel)
	if r.o.production {
		fileLevel = slog.LevelWarn
	}
	consoleLevel := fileLevel
	if r.o.quiet {
		consoleLevel = slog.LevelError
	}
	r.handler = &lineHandler{mu: &sync.Mutex{}, sinks: []sink{{w: r.env.Stderr, min: consoleLevel, console: true}}}
	if r.env.StderrIsTerminal && !r.o.quiet && !r.o.listDataViews && !r.o.dryRun {
		r.progress = &progressBar{w: r.env.Stderr}
		r.handler.onWrite = r.progress.wrap
	}
	r.log = slog.New(r.handler)
	if r.o.listDataViews || r.o.dryRun {
		return nil
	}
	stamp := r.env.Now().Format("20060102_150405")
	name := "SDR_Batch_Generation_" + stamp + ".log"
	if r.o.singleMode() {
		// IDs are ASCII, but may be of any length: cut them so the name
		// stays within the file system's 255 bytes.
		id := r.o.ids[0]
		if len(id) > maxLogIDBytes {
			id = id[:maxLogIDBytes]
		}
		name = "SDR_Generation_" + id + "_" + stamp + ".log"
	}
	dir := r.env.path("logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the log directory %s: %v (run from a writable directory)", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("cannot open the log file: %v (run from a writable directory)", err)
	}
	r.logFile, r.logPath = f, f.Name()
	r.handler.sinks = append(r.handler.sinks, sink{w: f, min: fileLevel})
	return nil
}

func (r *runner) closeLog() {
	if r.logFile != nil {
		r.logFile.Close()
	}
}
