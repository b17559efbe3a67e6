// Command generator is the pipeline's generator Lambda: it generates the SDR
// of one data view of a run (or records an iteration's failure) and writes its
// result record.
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
		log.Error("generator: cannot start", "error", err.Error())
		os.Exit(1)
	}
	h, err := lambdaio.NewGenerator(os.Getenv, cfg, log)
	if err != nil {
		log.Error("generator: cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
