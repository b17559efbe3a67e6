#!/usr/bin/env node
// run-local.mjs executes infra/statemachine.asl.json, the definition that
// deploys, with aws-local-stepfunctions so the Go end-to-end tests can run the
// whole pipeline on one machine.
//
// Usage:
//   node run-local.mjs --input '<json>' [--definition statemachine.asl.json]
//        [--substitutions '<json object>'] [--name <execution name>]
//        [--retry-interval-ms <n>]
//
// --substitutions plays the part of the template's DefinitionSubstitutions:
// every ${Key} in the definition is replaced by its value before the definition
// is parsed. Task states invoke Lambda through the AWS SDK, so pointing
// AWS_ENDPOINT_URL_LAMBDA at a local Lambda Invoke endpoint sends every call
// there. --retry-interval-ms replaces the definition's retry waits so retries
// stay quick in tests without changing the definition.
//
// It prints one JSON line, {"status":"SUCCEEDED","output":...} or
// {"status":"FAILED","error":...,"cause":...}, and exits 0 either way; any
// other exit code means the runner itself could not run.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// aws-local-stepfunctions 3 calls Promise.withResolvers, which Node 20 lacks.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

// Imported after the polyfill on purpose.
const { StateMachine, ExecutionError } = await import('aws-local-stepfunctions');

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    definition: { type: 'string', default: join(here, 'statemachine.asl.json') },
    substitutions: { type: 'string', default: '{}' },
    input: { type: 'string', default: '{}' },
    name: { type: 'string', default: `local-${Date.now()}` },
    'retry-interval-ms': { type: 'string' },
  },
});

function substitute(text, subs) {
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, key) => {
    if (!(key in subs)) {
      throw new Error(`no substitution given for \${${key}}`);
    }
    return String(subs[key]);
  });
}

// Every state name in the definition, nested Map states included, so one
// override reaches each retrier.
function stateNames(def, out = []) {
  for (const [name, state] of Object.entries(def.States ?? {})) {
    out.push(name);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) stateNames(inner, out);
    for (const branch of state.Branches ?? []) stateNames(branch, out);
  }
  return out;
}

function print(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
}

const definition = JSON.parse(
  substitute(readFileSync(values.definition, 'utf8'), JSON.parse(values.substitutions)),
);
const input = JSON.parse(values.input);

const overrides = {};
if (values['retry-interval-ms'] !== undefined) {
  const ms = Number(values['retry-interval-ms']);
  overrides.retryIntervalOverrides = Object.fromEntries(stateNames(definition).map((n) => [n, ms]));
}

// Validation stays on, with the ARN check, so a substitution that would not
// deploy fails here too.
const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
const execution = machine.run(input, {
  overrides,
  context: {
    Execution: {
      Id: `arn:aws:states:${region}:123456789012:execution:cja-sdr-local:${values.name}`,
      Name: values.name,
    },
    StateMachine: {
      Id: `arn:aws:states:${region}:123456789012:stateMachine:cja-sdr-local`,
      Name: 'cja-sdr-local',
    },
  },
});

try {
  const output = await execution.result;
  print({ status: 'SUCCEEDED', output });
} catch (err) {
  if (err instanceof ExecutionError) {
    const cause = err.cause ?? err;
    print({ status: 'FAILED', error: cause.name, cause: cause.message });
  } else {
    print({ status: 'FAILED', error: err?.name ?? 'Error', cause: String(err?.message ?? err) });
  }
}
// A failed Map leaves queued iterations running in the background (the
// library aborts only those already started); the execution is over, so stop.
process.exit(0);
