#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing (apt, npm), builds the
# solution (native shim included), runs every test project (integration tests start their own
# real servers through infra/stack.sh), stops the test stacks, and ends with one line:
#   N passed, N failed, N skipped
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"

"$root/infra/install.sh" || { echo "0 passed, 1 failed"; exit 1; }

echo "test: building the solution"
if ! dotnet build VisRL.Workflow.sln -c Release -nologo -v q -clp:ErrorsOnly; then
  echo "0 passed, 1 failed"; exit 1
fi

# One test project at a time: the machine has 2 cores, and the integration tests time processes.
rc=0
for project in tests/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  echo "test: $name"
  dotnet test "$project" -c Release --no-build -nologo --logger "trx;LogFileName=$name.trx" \
    --logger "console;verbosity=minimal" --results-directory "$results" || rc=1
done

# The test stacks (see tests/VisRL.Integration.Tests/TestStack.cs) are stopped; nothing is left listening.
base="${VISRL_TEST_PORT_OFFSET:-0}"
for stack in test:0 lifecycle:10; do
  name="${stack%%:*}"; offset=$((base + ${stack##*:}))
  VISRL_STACK_NAME="$name" VISRL_RABBITMQ_PORT=$((5682 + offset)) VISRL_RABBITMQ_MGMT_PORT=$((15682 + offset)) \
  VISRL_RABBITMQ_DIST_PORT=$((25682 + offset)) VISRL_EPMD_PORT=$((4379 + offset)) \
  VISRL_POSTGRES_PORT=$((5442 + offset)) VISRL_AZURITE_PORT=$((10010 + offset)) \
    "$root/infra/stack.sh" down >/dev/null 2>&1 || true
done

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  value() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(value passed))); failed=$((failed + $(value failed)))
  skipped=$((skipped + $(value total) - $(value executed))) # TRX counts skipped tests as not executed
done
[ "$(ls "$results"/*.trx 2>/dev/null | wc -l)" -eq "$(ls tests/*/*.csproj | wc -l)" ] || { rc=1; failed=$((failed + 1)); echo "test: a test project produced no results"; }
[ "$failed" -eq 0 ] || rc=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $rc
