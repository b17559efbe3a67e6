// Command generator is the pipeline's generator Lambda: it generates the SDR
// of one data view of a run (or records an iteration's failure) and writes its
// result record.
// All logic is in internal/pipeline; this only wires it (internal/lambdaio).
package main

import "github.com/cja-sdr/cja-sdr/internal/lambdaio"

func main() { lambdaio.Main("generator", lambdaio.GeneratorHandler) }
