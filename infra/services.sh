#!/usr/bin/env bash
# The workflow services as local processes beside the local stack (no Docker here).
#
#   infra/services.sh up [NAME=N …] | down | status | scale NAME=N …
#
# NAME is orchestrator, sampler, critic, filter or trainer. `up` starts one replica of each (or the counts
# given) that is not running yet; `scale sampler=2` starts or stops replicas to reach N; `down`
# stops every replica by its PID file (TERM, then KILL after VISRL_SERVICES_STOP_TIMEOUT s);
# `status` lists the replicas with PID and alive/restarting/dead (exit 1 when one is dead).
#
# Each replica runs under a small supervisor (this script's `_supervise`), as compose's restart policy
# does for the containers: a replica that exits with a code other than 0 (a crash, a service that gave
# up on its bus, a SIGKILL) is started again after 1 s, then 2, 4 … at most 30 s between tries (1 s
# again after a run of a minute); an exit with code 0 (a stop as asked) is not. `down` and `scale`
# stop the supervisor first.
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
#   VISRL_SERVICES_RESTART      on-failure   or no: a replica that exits stays down
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
restart_policy="${VISRL_SERVICES_RESTART:-on-failure}"
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

# Whether a process runs; an exited one that its new parent has not reaped yet (a zombie) does not.
process_alive() {
  local state
  kill -0 "$1" 2>/dev/null && state=$(sed -E 's/.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null) && [ "$state" != Z ] && [ "$state" != X ]
}

pid_alive() { [ -f "$1" ] && process_alive "$(cat "$1")"; }

# Replica numbers of a service that have a PID file (alive or dead), ascending.
replicas() {
  local f
  for f in "$sdir/pids/$1-"*.pid; do [ -e "$f" ] || continue; f="${f##*/$1-}"; echo "${f%.pid}"; done | sort -n
}

# A replica counts while its service or its supervisor runs (the supervisor alone: waiting to restart it).
slot_alive() { pid_alive "$sdir/pids/$1-$2.pid" || pid_alive "$sdir/pids/$1-$2.supervisor"; }

alive_count() { local n=0 i; for i in $(replicas "$1"); do slot_alive "$1" "$i" && n=$((n + 1)); done; echo "$n"; }

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
  local pidfile="$sdir/pids/$1-$2.pid" supfile="$sdir/pids/$1-$2.supervisor" logfile="$sdir/logs/$1-$2.log" dll i
  dll=$(dll_of "$1")
  mkdir -p "$sdir/pids" "$sdir/logs" "$sdir/models"
  rm -f "$pidfile" "$supfile"
  echo "=== $(date -u +%FT%TZ) services.sh: $1 #$2 starting ($dll)" >>"$logfile"
  local -a envs=()
  while IFS= read -r -d '' kv; do envs+=("$kv"); done < <(replica_env "$1" "$2")
  # A new session (setsid) so that the replica outlives this script and gets no terminal signals;
  # exec keeps $! the supervisor's PID. fd 9 (a caller's lock) is not inherited.
  (cd "$root" && exec setsid env -i PATH="$PATH" HOME="${HOME:-/root}" DOTNET_CLI_TELEMETRY_OPTOUT=1 \
      DOTNET_NOLOGO=1 "${envs[@]}" bash "$root/infra/services.sh" _supervise "$1" "$2" "$pidfile" "$logfile" "$dll" "$restart_policy" \
      >>"$logfile" 2>&1 </dev/null 9>&-) &
  echo $! > "$supfile"
  # The supervisor writes the service's PID as it starts it.
  for ((i = 0; i < 200; i++)); do [ -s "$pidfile" ] && break; sleep 0.05; done
  [ -s "$pidfile" ] || { tail -n 20 "$logfile" >&2; die "$1 #$2: its supervisor did not start it (log $logfile)"; }
  started+=("$1 $2 $(cat "$pidfile")")
  log "$1 #$2 started (pid $(cat "$pidfile"), log $logfile)"
}

# A replica's supervisor: runs the service, and after an exit with a code other than 0 starts it again
# (unless the policy is "no"), 1, 2, 4 … at most 30 s later; a run of a minute resets the wait. A TERM
# (`down`, `scale`) goes on to the service and ends the supervisor when the service has stopped.
supervise() { # service replica pidfile logfile dll policy
  local label="$1 #$2" pidfile="$3" logfile="$4" dll="$5" policy="$6" child="" waiter="" rc since delay=1 restarts=0 stopping=0
  set +e
  trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null; [ -n "$waiter" ] && kill "$waiter" 2>/dev/null' TERM INT
  note() { echo "=== $(date -u +%FT%TZ) services.sh: $label $*" >>"$logfile"; }
  while :; do
    dotnet "$dll" >>"$logfile" 2>&1 </dev/null &
    child=$!
    echo "$child" > "$pidfile.new" && mv -f "$pidfile.new" "$pidfile"
    [ "$stopping" = 1 ] && kill -TERM "$child" 2>/dev/null
    since=$SECONDS
    # A trapped TERM interrupts wait with 128+15 while the service still shuts down: wait again for its own code.
    while :; do wait "$child"; rc=$?; kill -0 "$child" 2>/dev/null || break; done
    child=""
    [ "$stopping" = 1 ] && exit 0
    if [ "$rc" = 0 ]; then note "exited with code 0 (a stop as asked): not restarted"; exit 0; fi
    local how="with code $rc" ran=$((SECONDS - since)); [ "$rc" -gt 128 ] && how="by signal $((rc - 128))"
    if [ "$policy" = no ]; then note "exited $how after $ran s: not restarted (VISRL_SERVICES_RESTART=no)"; exit "$rc"; fi
    [ "$ran" -ge 60 ] && delay=1
    restarts=$((restarts + 1))
    note "exited $how after $ran s; restart $restarts in $delay s"
    sleep "$delay" & waiter=$!; wait "$waiter"; waiter=""
    [ "$stopping" = 1 ] && exit 0
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
  done
}

# Replicas started by this command ("service replica pid"), for check_started.
started=()

# A replica that stops at once (an unknown VISRL__ variable, an invalid setting, a missing native
# library) would otherwise only restart over and over: wait a moment, then stop it and fail with the
# end of its log.
check_started() {
  [ ${#started[@]} -gt 0 ] || return 0
  local grace="${VISRL_SERVICES_START_GRACE:-3}" r s i pid failed=0
  sleep "$grace"
  for r in "${started[@]}"; do
    read -r s i pid <<<"$r"
    process_alive "$pid" && continue
    failed=1
    stop_replica "$s" "$i" >/dev/null
    echo "services[$name]: error: $s #$i exited within $grace s of its start (stopped, not restarted); the end of $sdir/logs/$s-$i.log:" >&2
    tail -n 20 "$sdir/logs/$s-$i.log" | sed 's/^/    /' >&2
  done
  [ "$failed" = 0 ] || { status || true; exit 1; }
}

# The supervisor first (it passes the TERM on and restarts nothing after it), then the service by its
# current PID; KILL for both after VISRL_SERVICES_STOP_TIMEOUT s.
stop_replica() { # service replica
  local pidfile="$sdir/pids/$1-$2.pid" supfile="$sdir/pids/$1-$2.supervisor" pid="" supervised=0 i
  pid_alive "$pidfile" && pid=$(cat "$pidfile")
  if pid_alive "$supfile"; then supervised=1; kill -TERM "$(cat "$supfile")" 2>/dev/null
  elif [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null; fi
  for ((i = 0; i < stop_timeout * 10; i++)); do slot_alive "$1" "$2" || break; sleep 0.1; done
  if slot_alive "$1" "$2"; then
    pid_alive "$supfile" && kill -KILL "$(cat "$supfile")" 2>/dev/null
    pid_alive "$pidfile" && kill -KILL "$(cat "$pidfile")" 2>/dev/null
    log "$1 #$2 killed (pid ${pid:-?}, no exit within ${stop_timeout} s)"
  elif [ -n "$pid" ]; then log "$1 #$2 stopped (pid $pid)"
  elif [ "$supervised" = 1 ]; then log "$1 #$2 stopped (it was waiting to be restarted)"; fi
  rm -f "$pidfile" "$supfile"
}

scale_one() { # service count
  local s="$1" want="$2" i n
  # Dead replicas are forgotten (their log stays); then start the lowest free numbers or stop the highest.
  for i in $(replicas "$s"); do slot_alive "$s" "$i" || { log "$s #$i was dead"; rm -f "$sdir/pids/$s-$i.pid" "$sdir/pids/$s-$i.supervisor"; }; done
  n=$(alive_count "$s")
  if [ "$n" -lt "$want" ]; then
    for ((i = 1; n < want; i++)); do
      slot_alive "$s" "$i" && continue
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
    # No leading zeros: bash arithmetic would read 010 as octal 8 (and 08 not at all).
    [[ "$c" =~ ^(0|[1-9][0-9]*)$ ]] || die "'$arg': the count must be a number ≥ 0, without leading zeros"
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
      elif slot_alive "$s" "$i"; then echo "  $s #$i: restarting (exited, its supervisor waits to start it again; log $sdir/logs/$s-$i.log)"
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
  _supervise) supervise "$@" ;;
  *) echo "usage: infra/services.sh up [NAME=N …] | down | status | scale NAME=N …" >&2; exit 2 ;;
esac
