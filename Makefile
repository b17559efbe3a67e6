# cja-sdr: the command, the Lambda functions, and everything to test them.
# `make demo` and `make test` need nothing but Go, Node/npm and Python (moto).

GO          ?= go
BIN         := bin
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build demo test lint lint-go bench clean tools

all: build

## build: the cja-sdr command for this machine
build:
	$(GO) build -o $(BIN)/cja-sdr ./cmd/cja-sdr

## demo: SDRs for every data view of the built-in sample organisation, into ./sdr_reports
demo:
	$(GO) run ./cmd/cja-sdr --demo --all --continue-on-error --format excel --output-dir sdr_reports

## tools: what the tests start — moto_server, the Node tools (npm ci), aws-lambda-rie
tools: infra-deps rie
	@command -v moto_server >/dev/null 2>&1 || pip install 'moto[server]'

## test: formatting and static checks, then every test, unit to end-to-end, with the
## real local stand-ins (and the race detector on the concurrent packages)
test: tools lint-go
	AWS_LAMBDA_RIE=$(RIE) $(GO) test -count=1 -timeout 12m ./...
	$(GO) test -count=1 -race -timeout 5m ./internal/batch/ ./internal/ratelimit/ ./internal/cache/ ./internal/cja/ ./internal/cli/ ./internal/pipeline/ ./internal/store/

## lint-go: gofmt, go vet and staticcheck
lint-go:
	@test -z "$$(gofmt -l cmd internal functions infra/*.go)" || (echo "gofmt needed:"; gofmt -l cmd internal functions infra/*.go; exit 1)
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## lint: lint-go plus the infrastructure validators (asl-validator, cfn-lint)
lint: lint-go lint-pipeline

## bench: throughput, CPU and Lambda figures against their targets (about 2 minutes)
bench: rie
	AWS_LAMBDA_RIE=$(RIE) $(GO) run ./internal/bench/cmd/sdrbench

clean:
	rm -rf $(BIN) sdr_reports logs .aws-sam

# The pipeline's SAM build targets (build-<LogicalId>) and its test pieces.
-include Makefile.pipeline.mk
