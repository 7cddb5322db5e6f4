#!/usr/bin/env bash
# The workflow services as local processes beside the local stack (no Docker here).
#
#   infra/services.sh up [NAME=N …] | down | status | scale NAME=N …
#
# NAME is orchestrator, sampler, critic, filter or trainer. `up` starts one replica of each (or the counts
# given) that is not running yet; `scale sampler=2` starts or stops replicas to reach N; `down`
# stops every replica by its PID file (TERM, then KILL after VISRL_SERVICES_STOP_TIMEOUT s);
# `status` lists the replicas with PID and alive/dead (exit 1 when one is dead).
#
# Each replica runs services/VisRL.<Name>/bin/Release/net10.0/VisRL.<Name>.dll (an incremental
# build first, unless the service already has a running replica) with the stack's stack.env
# settings, overridden by any VISRL__ variable already set here, and the caller's OPENBLAS_*,
# OMP_*, GOMP_* and VISRL_TORCH_NATIVE (nothing else of the environment); its own PID file and
# log under $VISRL_SERVICES_DIR; VISRL__SERVICE__HEALTHPORT=0; Sampler and Critic replicas with
# VISRL__TORCH__THREADS=1 (the Trainer too, unless set here), VISRL__MESSAGING__PREFETCHCOUNT=1
# (so an idle replica is not starved by one that prefetched the queue) and one shared
# VISRL__MODELS__CACHEFOLDER.
#
# Settings (environment), as infra/stack.sh:
#   VISRL_STACK_NAME      dev        VISRL_STACK_DIR <repo>/.visrl/stack-<name>
#   VISRL_SERVICES_DIR    <stack dir>/services   (pids/, logs/, models/)
#   VISRL_SERVICES_PREFIX ""         prefix of the service names (queues are "<name>-<consumer>")
#   VISRL_SERVICES_STOP_TIMEOUT 15   seconds between TERM and KILL
#   VISRL_SERVICES_START_GRACE  3    seconds `up` and `scale` wait before checking that the replicas
#                                    they started are still running (exit 1 with the log's end if not)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

name="${VISRL_STACK_NAME:-dev}"
dir="${VISRL_STACK_DIR:-$root/.visrl/stack-$name}"
sdir="${VISRL_SERVICES_DIR:-$dir/services}"
prefix="${VISRL_SERVICES_PREFIX:-}"
stop_timeout="${VISRL_SERVICES_STOP_TIMEOUT:-15}"
all=(orchestrator sampler critic filter trainer)

log() { echo "services[$name]: $*"; }
die() { echo "services[$name]: error: $*" >&2; exit 1; }

project_of() { # sampler → Sampler
  case "$1" in
    orchestrator) echo Orchestrator ;; sampler) echo Sampler ;; critic) echo Critic ;; filter) echo Filter ;; trainer) echo Trainer ;;
    *) die "unknown service '$1' (one of: ${all[*]})" ;;
  esac
}

dll_of() { local p; p=$(project_of "$1"); echo "$root/services/VisRL.$p/bin/Release/net10.0/VisRL.$p.dll"; }

# Builds the given services that have no replica running, in one MSBuild call (a solution filter:
# the shared projects are evaluated once, and the services build side by side). The build is
# incremental, so a code change since the last build reaches the replicas about to start; when
# nothing changed it costs about 3 s for all five. A service with a running replica is not rebuilt:
# that would rewrite the DLLs under the running process, and its new replicas run the same code as
# the running ones (a warning says when its sources are newer).
ensure_built() {
  local s p names="" projects="" built=()
  for s in "$@"; do
    p=$(project_of "$s")
    if [ "$(alive_count "$s")" -gt 0 ]; then
      newer_sources "$s" && log "warning: $s's sources changed since its running replicas were built: \`down\`, then \`up\`, to run the change"
      continue
    fi
    names+="${names:+, }VisRL.$p"
    projects+="${projects:+,}\"services/VisRL.$p/VisRL.$p.csproj\""
    built+=("$s")
  done
  [ -n "$projects" ] || return 0
  mkdir -p "$sdir"
  local filter="$sdir/build.slnf"
  printf '{"solution":{"path":"%s","projects":[%s]}}\n' "$root/VisRL.Workflow.sln" "$projects" > "$filter"
  log "building $names (Release, incremental)"
  dotnet build "$filter" -c Release -nologo -v q -clp:ErrorsOnly || die "build of $names failed"
  # MSBuild leaves a DLL whose inputs did not change as it was: the touch dates it to this build, for newer_sources.
  for s in "${built[@]}"; do touch "$(dll_of "$s")"; done
}

# True when a source the service may depend on is newer than its DLL (a hint only: MSBuild decides what to build).
newer_sources() {
  local p dll; p=$(project_of "$1"); dll=$(dll_of "$1")
  [ -f "$dll" ] || return 0
  [ -n "$(find "$root/services/VisRL.$p" "$root/libs" "$root/contracts" "$root/migrations" "$root"/Directory.*.props \
      \( -path '*/bin' -o -path '*/obj' -o -path '*/native/build*' \) -prune -o \
      -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.cpp' -o -name '*.h' -o -name '*.sql' \) \
      -newer "$dll" -print -quit 2>/dev/null)" ]
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Replica numbers of a service that have a PID file (alive or dead), ascending.
replicas() {
  local f
  for f in "$sdir/pids/$1-"*.pid; do [ -e "$f" ] || continue; f="${f##*/$1-}"; echo "${f%.pid}"; done | sort -n
}

alive_count() { local n=0 i; for i in $(replicas "$1"); do pid_alive "$sdir/pids/$1-$i.pid" && n=$((n + 1)); done; echo "$n"; }

# The environment of a replica: stack.env, then VISRL__ and native runtime variables of the caller, then the per-replica settings.
replica_env() { # service replica
  local line key
  local -A vars=()
  local envfile="$dir/stack.env"
  while IFS= read -r line || [ -n "$line" ]; do
    [[ "$line" == VISRL__*=* ]] || continue
    vars["${line%%=*}"]="${line#*=}"
  done < "$envfile"
  # The native runtime's settings too (BLAS core, OpenMP waiting, another libvisrl_torch), so that a
  # caller's OPENBLAS_CORETYPE applies to the replicas' model work as to the CLI's.
  while IFS= read -r key; do vars["$key"]="${!key}"; done < <(compgen -e | grep -E '^(VISRL__|OPENBLAS_|OMP_|GOMP_|VISRL_TORCH_NATIVE$)' || true)
  vars[VISRL__SERVICE__NAME]="$prefix$1"
  vars[VISRL__SERVICE__HEALTHPORT]=0
  if [ "$1" = sampler ] || [ "$1" = critic ] || [ "$1" = trainer ]; then
    # Samplers and critics scale out one thread each. The trainer uses its cores by running a step's two
    # micro-batches at once, one libtorch and OpenBLAS thread each (a multi-threaded OpenBLAS beside
    # them made that no faster than one core); a caller's VISRL__TORCH__THREADS overrides this for it.
    if [ "$1" = trainer ]; then vars[VISRL__TORCH__THREADS]="${vars[VISRL__TORCH__THREADS]:-1}"; else vars[VISRL__TORCH__THREADS]=1; fi
    vars[VISRL__MESSAGING__PREFETCHCOUNT]=1
    vars[VISRL__MODELS__CACHEFOLDER]="${VISRL__MODELS__CACHEFOLDER:-$sdir/models}"
  else
    # Only the model-running services know the Models section; an unknown variable stops a service.
    for key in "${!vars[@]}"; do [[ "$key" == VISRL__MODELS__* ]] && unset "vars[$key]"; done
  fi
  for key in "${!vars[@]}"; do printf '%s=%s\0' "$key" "${vars[$key]}"; done
}

start_replica() { # service replica
  local pidfile="$sdir/pids/$1-$2.pid" logfile="$sdir/logs/$1-$2.log" dll
  dll=$(dll_of "$1")
  mkdir -p "$sdir/pids" "$sdir/logs" "$sdir/models"
  echo "=== $(date -u +%FT%TZ) services.sh: $1 #$2 starting ($dll)" >>"$logfile"
  local -a envs=()
  while IFS= read -r -d '' kv; do envs+=("$kv"); done < <(replica_env "$1" "$2")
  # A new session (setsid) so that the replica outlives this script and gets no terminal signals;
  # exec keeps the PID the one of the dotnet process. fd 9 (a caller's lock) is not inherited.
  (cd "$root" && exec setsid env -i PATH="$PATH" HOME="${HOME:-/root}" DOTNET_CLI_TELEMETRY_OPTOUT=1 \
      DOTNET_NOLOGO=1 "${envs[@]}" dotnet "$dll" >>"$logfile" 2>&1 </dev/null 9>&-) &
  echo $! > "$pidfile"
  started+=("$1 $2")
  log "$1 #$2 started (pid $!, log $logfile)"
}

# Replicas started by this command ("service replica"), for check_started.
started=()

# A replica that stops at once (an unknown VISRL__ variable, an invalid setting, a missing native
# library) would otherwise show only later as "dead" in `status`: wait a moment, then fail with the
# end of its log.
check_started() {
  [ ${#started[@]} -gt 0 ] || return 0
  local grace="${VISRL_SERVICES_START_GRACE:-3}" r s i failed=0
  sleep "$grace"
  for r in "${started[@]}"; do
    s="${r% *}"; i="${r#* }"
    pid_alive "$sdir/pids/$s-$i.pid" && continue
    failed=1
    echo "services[$name]: error: $s #$i exited within $grace s of its start; the end of $sdir/logs/$s-$i.log:" >&2
    tail -n 20 "$sdir/logs/$s-$i.log" | sed 's/^/    /' >&2
  done
  [ "$failed" = 0 ] || { status || true; exit 1; }
}

stop_replica() { # service replica
  local pidfile="$sdir/pids/$1-$2.pid" pid i
  if pid_alive "$pidfile"; then
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < stop_timeout * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; log "$1 #$2 killed (pid $pid, no exit within ${stop_timeout} s)"
    else log "$1 #$2 stopped (pid $pid)"; fi
  fi
  rm -f "$pidfile"
}

scale_one() { # service count
  local s="$1" want="$2" i n
  # Dead replicas are forgotten (their log stays); then start the lowest free numbers or stop the highest.
  for i in $(replicas "$s"); do pid_alive "$sdir/pids/$s-$i.pid" || { log "$s #$i was dead"; rm -f "$sdir/pids/$s-$i.pid"; }; done
  n=$(alive_count "$s")
  if [ "$n" -lt "$want" ]; then
    for ((i = 1; n < want; i++)); do
      pid_alive "$sdir/pids/$s-$i.pid" && continue
      start_replica "$s" "$i"; n=$((n + 1))
    done
  fi
  while [ "$n" -gt "$want" ]; do
    i=$(replicas "$s" | tail -n 1)
    stop_replica "$s" "$i"; n=$((n - 1))
  done
}

# NAME=N … → the arrays names[] and wanted[], validated here (in this shell, so an error stops the script).
names=(); wanted=()
parse_counts() {
  local arg s c
  for arg in "$@"; do
    [[ "$arg" == *=* ]] || die "'$arg': expected NAME=N (e.g. sampler=2)"
    s="${arg%%=*}"; c="${arg#*=}"
    project_of "$s" >/dev/null
    [[ "$c" =~ ^[0-9]+$ ]] || die "'$arg': the count must be a number ≥ 0"
    names+=("$s"); wanted+=("$c")
  done
}

status() {
  local s i pidfile dead=0 any=0
  echo "services[$name] in $sdir"
  for s in "${all[@]}"; do
    for i in $(replicas "$s"); do
      any=1; pidfile="$sdir/pids/$s-$i.pid"
      if pid_alive "$pidfile"; then echo "  $s #$i: alive (pid $(cat "$pidfile"), log $sdir/logs/$s-$i.log)"
      else echo "  $s #$i: dead (pid $(cat "$pidfile" 2>/dev/null || echo ?), log $sdir/logs/$s-$i.log)"; dead=1; fi
    done
  done
  [ "$any" = 1 ] || echo "  no replicas"
  return $dead
}

with_lock() { mkdir -p "$sdir"; exec 9>"$sdir/.lock"; flock -w 120 9 || die "another services command holds $sdir/.lock"; }

need_stack_env() { [ -f "$dir/stack.env" ] || die "$dir/stack.env not found: start the stack first (infra/stack.sh up or visrl stack up)"; }

cmd="${1:-}"; shift || true
case "$cmd" in
  up)
    parse_counts "$@"; need_stack_env
    with_lock
    declare -A counts=([orchestrator]=1 [sampler]=1 [critic]=1 [filter]=1 [trainer]=1)
    for k in "${!names[@]}"; do counts[${names[$k]}]=${wanted[$k]}; done
    # `up` only adds what is missing: it never stops a replica (that is `scale`).
    starting=()
    for s in "${all[@]}"; do [ "$(alive_count "$s")" -ge "${counts[$s]}" ] || starting+=("$s"); done
    ensure_built "${starting[@]}"
    for s in "${starting[@]}"; do scale_one "$s" "${counts[$s]}"; done
    check_started
    status || true ;;
  scale)
    [ $# -gt 0 ] || die "usage: infra/services.sh scale NAME=N … (NAME: ${all[*]})"
    parse_counts "$@"; need_stack_env
    with_lock
    growing=()
    for k in "${!names[@]}"; do [ "$(alive_count "${names[$k]}")" -ge "${wanted[$k]}" ] || growing+=("${names[$k]}"); done
    ensure_built "${growing[@]}"
    for k in "${!names[@]}"; do scale_one "${names[$k]}" "${wanted[$k]}"; done
    check_started
    status || true ;;
  down)
    with_lock
    for s in "${all[@]}"; do for i in $(replicas "$s"); do stop_replica "$s" "$i"; done; done
    log "down" ;;
  status) status ;;
  *) echo "usage: infra/services.sh up [NAME=N …] | down | status | scale NAME=N …" >&2; exit 2 ;;
esac
