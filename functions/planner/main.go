// Command planner is the pipeline's planner Lambda: it resolves a run's data
// view ids (a list, all, or an uploaded dataviews.txt), writes the run's
// manifest to S3 and returns the state machine's Map items.
// All logic is in internal/pipeline; this only wires it (internal/lambdaio).
package main

import "github.com/cja-sdr/cja-sdr/internal/lambdaio"

func main() { lambdaio.Main("planner", lambdaio.PlannerHandler) }
