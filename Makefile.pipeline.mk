# Makefile.pipeline.mk: the serverless pipeline's targets, included by the root
# Makefile. `sam build` runs the build-<LogicalId> targets (BuildMethod:
# makefile) with ARTIFACTS_DIR set to the function's artifact folder.

GO ?= go
NPM ?= npm

# Lambda bootstraps: static, no RPC shim (provided.al2023 speaks the Runtime
# API directly), stripped to stay small.
LAMBDA_GOFLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w' -buildvcs=false
LAMBDA_ENV := CGO_ENABLED=0 GOOS=linux GOARCH=arm64

PIPELINE_FUNCTIONS := planner generator summary trigger

# The Lambda Runtime Interface Emulator, pinned; installed into bin/tools.
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE := $(CURDIR)/bin/tools/aws-lambda-rie

.PHONY: build-PlannerFunction build-GeneratorFunction build-SummaryFunction build-TriggerFunction \
	bootstraps infra-deps rie test-pipeline lint-pipeline lint-asl lint-template

build-PlannerFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_GOFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/planner

build-GeneratorFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_GOFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/generator

build-SummaryFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_GOFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/summary

build-TriggerFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_GOFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/trigger

# bin/<function>/bootstrap for linux/arm64, as deployed.
bootstraps:
	@for f in $(PIPELINE_FUNCTIONS); do \
		echo "bootstrap $$f"; \
		$(LAMBDA_ENV) $(GO) build $(LAMBDA_GOFLAGS) -o bin/$$f/bootstrap ./functions/$$f || exit 1; \
	done

# Node tools for the state machine (aws-local-stepfunctions, asl-validator),
# exactly as locked.
infra/node_modules/.package-lock.json: infra/package.json infra/package-lock.json
	cd infra && $(NPM) ci --no-audit --no-fund
infra-deps: infra/node_modules/.package-lock.json

$(RIE):
	GOBIN=$(CURDIR)/bin/tools $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)
rie: $(RIE)

# The pipeline's tests: template wiring, the state machine end to end against
# moto and the sample organisation, and each bootstrap behind aws-lambda-rie.
test-pipeline: infra-deps rie
	AWS_LAMBDA_RIE=$(RIE) $(GO) test -count=1 ./internal/pipeline/... ./internal/lambdaio/... ./infra/... ./functions/...

lint-asl: infra-deps
	cd infra && npx --no-install asl-validator --json-path statemachine.asl.json

lint-template:
	cfn-lint template.yaml

lint-pipeline: lint-asl lint-template
