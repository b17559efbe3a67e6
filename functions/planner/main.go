// Command planner is the pipeline's planner Lambda: it resolves a run's data
// view ids (a list, all, or an uploaded dataviews.txt), writes the run's
// manifest to S3 and returns the state machine's Map items.
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
		log.Error("planner: cannot start", "error", err.Error())
		os.Exit(1)
	}
	h, err := lambdaio.NewPlanner(os.Getenv, cfg, log)
	if err != nil {
		log.Error("planner: cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
