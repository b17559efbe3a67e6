package pipeline

// The handlers' error types. Lambda reports an error's Go type name as its
// errorType, and the state machine's Retry and Catch match on that name, so
// these names are part of the contract with infra/statemachine.asl.json. A
// handler must return them unwrapped (a wrapped error's type is *fmt.wrapError).

// TransientError is a failure worth retrying later: Adobe throttling or 5xx
// after the client's own retries, a network failure, an AWS call that failed.
// The state machine retries it with backoff.
type TransientError struct{ Msg string }

func (e *TransientError) Error() string { return e.Msg }

// DeadlineError means the generator stopped on its own shortly before the
// Lambda deadline, so that it can still answer instead of being killed. It
// is retryable like TransientError.
type DeadlineError struct{ Msg string }

func (e *DeadlineError) Error() string { return e.Msg }

// InputError is malformed input: an execution input the planner cannot
// understand, or a handler event missing its fields. Retrying cannot help.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// ConfigError is a deployment problem: a missing environment variable, a
// secret that does not hold usable credentials. Retrying cannot help.
type ConfigError struct{ Msg string }

// Error says what to do as well, since these reach the execution's history
// and the failure records, where an operator reads them.
func (e *ConfigError) Error() string {
	return e.Msg + " (a deployment problem: check the stack's parameters, the function's environment and the credentials secret, then run again)"
}

// retryableErrorTypes are the error names after which a data view may well
// succeed on another run; a failure record keeps that information.
var retryableErrorTypes = map[string]bool{
	"TransientError":                  true,
	"DeadlineError":                   true,
	"States.Timeout":                  true,
	"States.TaskFailed":               true,
	"Lambda.ServiceException":         true,
	"Lambda.AWSLambdaException":       true,
	"Lambda.SdkClientException":       true,
	"Lambda.TooManyRequestsException": true,
	"Lambda.Unknown":                  true,
}
