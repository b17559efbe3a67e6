// Command trigger is the pipeline's trigger Lambda: it starts one run per
// requests/*.txt uploaded to the bucket, at most once per upload.
// All logic is in internal/pipeline; this only wires it (internal/lambdaio).
package main

import "github.com/cja-sdr/cja-sdr/internal/lambdaio"

func main() { lambdaio.Main("trigger", lambdaio.TriggerHandler) }
