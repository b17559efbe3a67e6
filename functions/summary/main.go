// Command summary is the pipeline's summary Lambda: it reads every result
// record of a run and writes summary.json, summary.txt and the summary.xlsx
// index.
// All logic is in internal/pipeline; this only wires it (internal/lambdaio).
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cja-sdr/cja-sdr/internal/lambdaio"
)

func main() {
	log := lambdaio.Logger()
	cfg, err := lambdaio.AWSConfig(os.Getenv)
	if err != nil {
		log.Error("summary: cannot start", "error", err.Error())
		os.Exit(1)
	}
	h, err := lambdaio.NewSummariser(os.Getenv, cfg, log)
	if err != nil {
		log.Error("summary: cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
