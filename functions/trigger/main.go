// Command trigger is the pipeline's trigger Lambda: it starts one run per
// requests/*.txt uploaded to the bucket, at most once per upload.
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
		log.Error("trigger: cannot start", "error", err.Error())
		os.Exit(1)
	}
	h, err := lambdaio.NewTrigger(os.Getenv, cfg, log)
	if err != nil {
		log.Error("trigger: cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
