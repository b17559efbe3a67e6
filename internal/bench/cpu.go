package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cja-sdr/cja-sdr/internal/quality"
	"github.com/cja-sdr/cja-sdr/internal/render"
	"github.com/cja-sdr/cja-sdr/internal/sdr"
)

// ChildArg, as the first argument of the bench program, makes it the child
// of section d: the program must then call ChildMain with the remaining
// arguments and exit with its result. One child per measurement keeps each
// peak RSS its own.
const ChildArg = "__sdrbench_cpu_child"

// Kinds of CPU measurement.
const (
	kindSDR = "sdr" // quality.Check + render.Write (excel), as the generator does
	kindRaw = "raw" // excelize StreamWriter writing the same cells as plain strings
)

// cpuResult is one CPU measurement (the child's answer on stdout).
type cpuResult struct {
	Kind    string        `json:"kind"`
	N       int           `json:"n"`
	Best    time.Duration `json:"bestNs"` // fastest of the repetitions
	Allocs  uint64        `json:"allocs"` // heap allocations of one repetition
	Bytes   uint64        `json:"bytes"`  // bytes allocated by one repetition
	PeakRSS int64         `json:"peakRss"`
	// InputRSS is the resident size with the input built, before any
	// repetition (Linux only): the part of PeakRSS that is the data itself.
	InputRSS int64 `json:"inputRss"`
	Cells    int   `json:"cells"`
	Output   int64 `json:"output"` // workbook size in bytes
}

// ChildMain runs one measurement: args are kind, components and repetitions.
// It writes the result as JSON to stdout and returns the exit code.
func ChildMain(args []string, stdout, stderr io.Writer) int {
	if len(args) != 3 {
		fmt.Fprintln(stderr, "usage: "+ChildArg+" sdr|raw COMPONENTS REPS")
		return 2
	}
	n, err1 := strconv.Atoi(args[1])
	reps, err2 := strconv.Atoi(args[2])
	if err1 != nil || err2 != nil || n < 1 || reps < 1 {
		fmt.Fprintln(stderr, "bad COMPONENTS or REPS")
		return 2
	}
	res, err := measureCPU(args[0], n, reps)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		return 1
	}
	return 0
}

// measureCPU times kind on a synthetic document of n components. The input
// (the document, as fetched) is built first and kept alive in both kinds,
// so their peak RSS differ by what the writing costs.
func measureCPU(kind string, n, reps int) (cpuResult, error) {
	doc := sdr.SyntheticDocument(n)
	res := cpuResult{Kind: kind, N: n, Best: time.Duration(math.MaxInt64)}
	var once func() (int64, error)
	switch kind {
	case kindSDR:
		once = func() (int64, error) {
			d := *doc
			d.Issues = quality.Check(d.Metrics, d.Dimensions)
			objs, err := render.Write(context.Background(), discard{}, "", &d, []string{"excel"})
			if err != nil || len(objs) != 1 {
				return 0, fmt.Errorf("render: %v (%d objects)", err, len(objs))
			}
			return objs[0].Size, nil
		}
		for _, sh := range doc.Sheets() {
			res.Cells += (len(sh.Rows) + 1) * len(sh.Columns)
		}
	case kindRaw:
		sheets := stringCells(doc.Sheets())
		for _, sh := range sheets {
			for _, row := range sh.rows {
				res.Cells += len(row)
			}
		}
		once = func() (int64, error) { return rawWrite(sheets) }
	default:
		return res, fmt.Errorf("unknown kind %q", kind)
	}
	runtime.GC()
	res.InputRSS = currentRSS()
	var before, after runtime.MemStats
	for i := range reps {
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		size, err := once()
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if err != nil {
			return res, err
		}
		if i == 0 {
			// The high-water mark of one SDR: later repetitions only
			// time it, and would add the garbage of the previous one.
			if rss, ok := peakRSS(); ok {
				res.PeakRSS = rss
			}
		}
		res.Best = min(res.Best, took)
		res.Allocs, res.Bytes, res.Output = after.Mallocs-before.Mallocs, after.TotalAlloc-before.TotalAlloc, size
	}
	runtime.KeepAlive(doc)
	return res, nil
}

// rawSheet is one sheet as plain strings, header row first.
type rawSheet struct {
	name string
	rows [][]string
}

// stringCells turns the SDR's sheets into strings (what any writer would
// start from), outside the timed part of the raw baseline.
func stringCells(sheets []sdr.Sheet) []rawSheet {
	out := make([]rawSheet, len(sheets))
	for i, sh := range sheets {
		rows := make([][]string, 0, len(sh.Rows)+1)
		rows = append(rows, sh.Columns)
		for _, r := range sh.Rows {
			row := make([]string, len(r))
			for k, v := range r {
				if v != nil {
					row[k] = fmt.Sprint(v)
				}
			}
			rows = append(rows, row)
		}
		out[i] = rawSheet{name: sh.Name, rows: rows}
	}
	return out
}

// rawWrite is the floor: an excelize workbook of the same cells through
// StreamWriter, with no styles, widths, panes or filters.
func rawWrite(sheets []rawSheet) (int64, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName(f.GetSheetName(0), sheets[0].name); err != nil {
		return 0, err
	}
	for _, sh := range sheets[1:] {
		if _, err := f.NewSheet(sh.name); err != nil {
			return 0, err
		}
	}
	for _, sh := range sheets {
		sw, err := f.NewStreamWriter(sh.name)
		if err != nil {
			return 0, err
		}
		var vals []any
		for r, row := range sh.rows {
			vals = vals[:0]
			for _, s := range row {
				vals = append(vals, s)
			}
			if err := sw.SetRow("A"+strconv.Itoa(r+1), vals); err != nil {
				return 0, err
			}
		}
		if err := sw.Flush(); err != nil {
			return 0, err
		}
	}
	var n countWriter
	if _, err := f.WriteTo(&n); err != nil {
		return 0, err
	}
	return int64(n), nil
}

// Section d's targets at 10k components.
const (
	cpuTargetN     = 10000
	cpuTargetRatio = 1.5
	cpuTargetRSS   = 150e6 // bytes: MB as in the issue, 10^6
)

// gomemlimit is the soft memory limit tried when the RSS target is missed.
const gomemlimit = "120MiB"

// cpu is section d: checks + workbook against the raw write, per size.
func cpu(ctx context.Context, cfg Config) []Row {
	var rows []Row
	for i, n := range cfg.CPUSizes {
		reps := 1
		if i < len(cfg.CPUReps) {
			reps = max(cfg.CPUReps[i], 1)
		}
		name := fmt.Sprintf("checks + workbook, %s components", thousands(n))
		ours, err := runCPU(ctx, cfg, kindSDR, n, reps)
		if err != nil {
			rows = append(rows, naRow("d", name, cpuTarget(n), err.Error()))
			continue
		}
		raw, err := runCPU(ctx, cfg, kindRaw, n, reps)
		if err != nil {
			rows = append(rows, naRow("d", name, cpuTarget(n), "raw baseline: "+err.Error()))
			continue
		}
		ratio := float64(ours.Best) / float64(raw.Best)
		row := Row{
			Section: "d", Name: name, Value: ratio,
			Figure: fmt.Sprintf("%s = %.2fx raw, %s allocs, RSS %s", ms(ours.Best), ratio, count(ours.Allocs), mb(ours.PeakRSS)),
			Target: cpuTarget(n),
			Status: Info,
			Note: fmt.Sprintf("raw excelize StreamWriter of the same %s cells: %s, %s allocs (%s), RSS %s; ours allocates %s; workbook %s; fastest of %d",
				count(uint64(raw.Cells)), ms(raw.Best), count(raw.Allocs), mb(int64(raw.Bytes)), mb(raw.PeakRSS), mb(int64(ours.Bytes)), mb(ours.Output), reps),
		}
		if n == cpuTargetN {
			var why []string
			if ratio > cpuTargetRatio {
				why = append(why, fmt.Sprintf("%.2fx the raw write", ratio))
			}
			if ours.PeakRSS <= 0 {
				why = append(why, "peak RSS not measured (in-process run)")
			} else if ours.PeakRSS > cpuTargetRSS {
				why = append(why, fmt.Sprintf("peak RSS %s over 150 MB", mb(ours.PeakRSS)))
			}
			row.Status = verdict(len(why) == 0)
			if len(why) > 0 {
				row.Note = "missed: " + strings.Join(why, ", ") + "; " + row.Note
			}
			if ours.PeakRSS > cpuTargetRSS {
				row.Note += fmt.Sprintf("; %s of the peak is the input alone (the fetched components, decoded, before writing), and Go's GC lets the heap grow to twice what is live", mb(ours.InputRSS))
				if lim, err := runCPU(ctx, cfg, kindSDR, n, 1, "GOMEMLIMIT="+gomemlimit); err == nil {
					row.Note += fmt.Sprintf("; with GOMEMLIMIT=%s the same SDR peaks at %s and takes %s", gomemlimit, mb(lim.PeakRSS), ms(lim.Best))
				}
			}
		}
		cfg.progress("   %d components: ours %s (RSS %s), raw %s (RSS %s)", n, ms(ours.Best), mb(ours.PeakRSS), ms(raw.Best), mb(raw.PeakRSS))
		rows = append(rows, row)
	}
	return rows
}

func cpuTarget(n int) string {
	if n == cpuTargetN {
		return "<= 1.5x raw, <= 150 MB RSS"
	}
	return ""
}

// runCPU measures in a child process (its own peak RSS), or in this one.
// env is added to the child's environment (GOMEMLIMIT=...).
func runCPU(ctx context.Context, cfg Config, kind string, n, reps int, env ...string) (cpuResult, error) {
	if cfg.CPUInProcess || cfg.Self == "" {
		res, err := measureCPU(kind, n, reps)
		res.PeakRSS, res.InputRSS = 0, 0 // this process's, not the measurement's
		return res, err
	}
	cmd := exec.CommandContext(ctx, cfg.Self, ChildArg, kind, strconv.Itoa(n), strconv.Itoa(reps))
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return cpuResult{}, fmt.Errorf("child %s %d: %v: %s", kind, n, err, strings.TrimSpace(errOut.String()))
	}
	var res cpuResult
	if err := json.NewDecoder(io.LimitReader(&out, 1<<20)).Decode(&res); err != nil {
		return res, fmt.Errorf("child %s %d answered %q: %v", kind, n, out.String(), err)
	}
	return res, nil
}

func mb(b int64) string {
	switch {
	case b <= 0:
		return "n/a"
	case b < 1e6:
		return fmt.Sprintf("%.0f kB", float64(b)/1e3)
	case b < 10e6:
		return fmt.Sprintf("%.1f MB", float64(b)/1e6)
	}
	return fmt.Sprintf("%.0f MB", float64(b)/1e6)
}

func count(n uint64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0fk", float64(n)/1e3)
	}
	return strconv.FormatUint(n, 10)
}

func thousands(n int) string {
	if n >= 1000 && n%1000 == 0 {
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}
