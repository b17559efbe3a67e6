// Command cja-sdr writes Solution Design Reference documents for Adobe
// Customer Journey Analytics data views. See README.md, or run cja-sdr --help.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/cja-sdr/cja-sdr/internal/cli"
)

func main() {
	// Ctrl-C cancels the run: in-flight work stops, partial files are removed,
	// the summary still prints, and the exit code is 130.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C now ends the process at once
	}()
	code := cli.Run(ctx, cli.Env{
		Args:             os.Args[1:],
		Stdout:           os.Stdout,
		Stderr:           os.Stderr,
		Getenv:           os.Getenv,
		StderrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		StdoutIsTerminal: term.IsTerminal(int(os.Stdout.Fd())),
	})
	stop()
	os.Exit(code)
}
