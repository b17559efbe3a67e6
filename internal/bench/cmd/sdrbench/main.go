// Command sdrbench is `make bench`: it measures the SDR generator against
// the sample organisation simulator (latency and CJA's rate limit injected,
// time scaled) and prints one table, every figure next to its target. See
// internal/bench.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/cja-sdr/cja-sdr/internal/bench"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == bench.ChildArg {
		os.Exit(bench.ChildMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	cfg := bench.DefaultConfig()
	smoke := flag.Bool("smoke", false, "the tiny configuration of the unit test (seconds; figures meaningless)")
	sections := flag.String("sections", "", "sections to run, by letter (e.g. ad); all by default")
	scale := flag.Float64("scale", 0, "time scale of the rate-limited sections (default 0.1: a 6 s window runs in 600 ms)")
	rie := flag.String("rie", "", "aws-lambda-rie binary (default $AWS_LAMBDA_RIE, bin/tools/aws-lambda-rie, $PATH, else go install)")
	quiet := flag.Bool("quiet", false, "no progress lines on stderr")
	flag.Parse()
	if *smoke {
		cfg = bench.SmokeConfig()
	}
	if *scale > 0 {
		cfg.Scale = *scale
	}
	cfg.Sections, cfg.RIE = *sections, *rie
	if !*quiet {
		cfg.Progress = os.Stderr
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdrbench: cannot find its own program for the CPU children:", err)
		os.Exit(1)
	}
	cfg.Self = self

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := bench.Run(ctx, cfg)
	r.Print(os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdrbench: stopped:", err)
		os.Exit(1)
	}
}
