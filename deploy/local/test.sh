#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it after setup.sh: static checks first (they are
# cheap and fail fast), then every test file against the real local stack.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
step() { echo "==> $*" >&2; }
# promtool from set-up (setup/promtool.sh) when the system has none.
export PATH="$PATH:${REELSTREAM_CACHE_DIR:-${REELSTREAM_HOME:-$HOME/.cache/reelstream}}/bin"

step "lint (eslint, type-aware, zero warnings)"
npx --no-install eslint --max-warnings 0 .
step "typecheck (tsc --noEmit)"
npx --no-install tsc --noEmit -p tsconfig.json
step "type tests (tstyche)"
npx --no-install tstyche
step "generated schema types are up to date"
node dist/jobs/cli/main.js schemas generate --check
node dist/jobs/cli/main.js schemas generate --check --dir test/fixtures/schemas
node dist/jobs/cli/main.js schemas generate --check --dir bench/stateless
node dist/jobs/cli/main.js schemas generate --check --dir test/chaos
step "format check (prettier)"
npx --no-install prettier --check . --log-level warn
step "API reference builds without warnings (typedoc)"
typedoc_out="$(mktemp -d)"
npx --no-install typedoc --treatWarningsAsErrors --logLevel Warn --out "$typedoc_out"
rm -rf "$typedoc_out"
step "import cycles (dpdm)"
cycles="$(npx --no-install dpdm --no-warning --no-tree --exit-code circular:1 -T \
  'jobs/**/*.ts' 'operators/**/*.ts' 'pipelines/**/*.ts' 'deploy/**/*.ts' 2>&1)" || {
  echo "$cycles" >&2
  exit 1
}

# The integration tests need the broker and registry. Start them when they are not running,
# and stop them afterwards only in that case, so a developer's running stack is left alone.
started_stack=0
if [ -n "${REELSTREAM_BROKERS:-}" ]; then
  step "testing against REELSTREAM_BROKERS=$REELSTREAM_BROKERS (the local stack is not started)"
elif ! node dist/jobs/cli/main.js stack status >/dev/null 2>&1; then
  step "starting the local stack"
  node dist/jobs/cli/main.js stack up
  started_stack=1
fi
stop_stack() {
  if [ "$started_stack" = 1 ] && [ "${REELSTREAM_KEEP_STACK:-0}" != 1 ]; then
    step "stopping the local stack"
    node dist/jobs/cli/main.js stack down >&2 || true
  fi
}
trap stop_stack EXIT
# Topics that earlier runs' tests left (more than an hour old): a stack that stays between runs
# would otherwise hold thousands of them.
step "pruning topics of earlier test runs"
node --import tsx test/support/pruneTestTopics.ts --older-than 3600

mapfile -t files < <(find operators pipelines jobs deploy test bench -name '*.test.ts' 2>/dev/null | sort)
step "running ${#files[@]} test files"
node --import tsx --test --test-reporter=spec "${files[@]}"
