package lambdaio

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
)

// Main is a function's whole main: logger, AWS configuration from the
// environment, the handler that build wires, then lambda.Start. A function
// that cannot be wired logs why and exits, so Lambda reports an init error
// instead of serving requests it cannot answer.
func Main(name string, build func(getenv Getenv, cfg aws.Config, log *slog.Logger) (handler any, err error)) {
	log := Logger()
	cfg, err := AWSConfig(os.Getenv)
	var handler any
	if err == nil {
		handler, err = build(os.Getenv, cfg, log)
	}
	if err != nil {
		log.Error(name+": cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(handler)
}

// The four functions' handlers, for Main. Handle has a pointer receiver, so
// taking it from a nil handler (when err is set) is safe.

// PlannerHandler wires the planner.
func PlannerHandler(getenv Getenv, cfg aws.Config, log *slog.Logger) (any, error) {
	h, err := NewPlanner(getenv, cfg, log)
	return h.Handle, err
}

// GeneratorHandler wires the generator.
func GeneratorHandler(getenv Getenv, cfg aws.Config, log *slog.Logger) (any, error) {
	h, err := NewGenerator(getenv, cfg, log)
	return h.Handle, err
}

// SummaryHandler wires the summariser.
func SummaryHandler(getenv Getenv, cfg aws.Config, log *slog.Logger) (any, error) {
	h, err := NewSummariser(getenv, cfg, log)
	return h.Handle, err
}

// TriggerHandler wires the S3 upload trigger.
func TriggerHandler(getenv Getenv, cfg aws.Config, log *slog.Logger) (any, error) {
	h, err := NewTrigger(getenv, cfg, log)
	return h.Handle, err
}
