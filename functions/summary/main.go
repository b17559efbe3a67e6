// Command summary is the pipeline's summary Lambda: it reads every result
// record of a run and writes summary.json, summary.txt and the summary.xlsx
// index.
// All logic is in internal/pipeline; this only wires it (internal/lambdaio).
package main

import "github.com/cja-sdr/cja-sdr/internal/lambdaio"

func main() { lambdaio.Main("summary", lambdaio.SummaryHandler) }
