/**
 * The `systemctl` of a lab host. Lab hosts have no systemd (they are namespaces, not machines), yet
 * push reloads services with `systemctl` and the lab must start each service from its unit, as
 * systemd would: this script reads the unit files (`/etc/systemd/system` first, then the packages'
 * own) and runs their `ExecStartPre`, `ExecStart`, `ExecReload` as `User`, with `Environment`,
 * `EnvironmentFile`, `RuntimeDirectory`, and `PIDFile` for `Type=forking`. It lives in the host's
 * copy-on-write `/usr/local/bin`, ahead of the machine's `/usr/bin/systemctl` on root's PATH.
 *
 * Each service's main pid is kept in `/run/topoforge-lab/units/`, its output in
 * `/var/log/topoforge-lab/`. What it does not implement it refuses with systemd's own words and
 * status, never pretends.
 */

/** The script, installed as `/usr/local/bin/systemctl` in every lab host. */
export const LAB_SYSTEMCTL = String.raw`#!/bin/sh
# The lab's systemctl (Topoforge rehearsal lab): runs services from their unit files.
set -u
state=/run/topoforge-lab/units
logs=/var/log/topoforge-lab
standins=/etc/topoforge-lab/standins
mkdir -p "$state" "$logs"

unit_file() {
  for directory in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system /etc/topoforge-lab/units; do
    if [ -f "$directory/$1" ]; then echo "$directory/$1"; return 0; fi
  done
  return 1
}

# Prints the values of KEY in the [Service] (or [Mount]) section, one per line, in order.
unit_values() {
  awk -v key="$2" '
    /^\[/ { section = $0; next }
    (section == "[Service]" || section == "[Mount]") && index($0, key "=") == 1 { print substr($0, length(key) + 2) }
  ' "$1"
}

main_pid() {
  [ -f "$state/$1.pid" ] || return 1
  pid=$(cat "$state/$1.pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

is_active() {
  case $1 in *.mount) [ -f "$state/$1.mounted" ]; return ;; esac
  main_pid "$1" >/dev/null
}

# Runs one Exec line the way systemd would: prefixes stripped, variables expanded, as User.
run_line() {
  line=$1
  ignore=0
  while :; do
    case $line in
      -*) ignore=1; line=${'$'}{line#-} ;;
      [@+!:]*) line=${'$'}{line#?} ;;
      *) break ;;
    esac
  done
  if [ -n "$user" ]; then
    runuser -u "$user" -- sh -c "$line" >>"$logs/$name.log" 2>&1
  else
    sh -c "$line" >>"$logs/$name.log" 2>&1
  fi
  status=$?
  [ $ignore = 1 ] && return 0
  return $status
}

load_unit() {
  case $1 in *.service|*.mount|*.socket|*.timer) name=$1 ;; *) name=$1.service ;; esac
  case $name in *.service|*.mount) ;; *) echo "systemctl (Topoforge lab): $name: only .service and .mount units run in a lab host" >&2; exit 1 ;; esac
  file=$(unit_file "$name") || { echo "Unit $name not found." >&2; exit 5; }
  user=$(unit_values "$file" User | tail -n 1)
  type=$(unit_values "$file" Type | tail -n 1)
  pidfile=$(unit_values "$file" PIDFile | tail -n 1)
  for environment in $(unit_values "$file" EnvironmentFile | tr ' ' '\n'); do
    optional=0
    case $environment in -*) optional=1; environment=${'$'}{environment#-} ;; esac
    if [ -f "$environment" ]; then set -a; . "$environment"; set +a
    elif [ $optional = 0 ]; then echo "$name: EnvironmentFile $environment is missing" >&2; exit 1; fi
  done
  unit_values "$file" Environment > "$state/$name.environment"
  while IFS= read -r assignments; do eval "export $assignments"; done < "$state/$name.environment"
  rm -f "$state/$name.environment"
}

# A mount in a lab host is its mount point: the storage it names is a stand-in (docs/rehearse.md).
start_mount() {
  where=$(unit_values "$file" Where | tail -n 1)
  [ -n "$where" ] || { echo "$name: no Where=" >&2; return 1; }
  mkdir -p "$where" && : > "$state/$name.mounted"
}

start() {
  load_unit "$1"
  is_active "$name" && return 0
  case $name in *.mount) start_mount; return ;; esac
  command=$(unit_values "$file" ExecStart | tail -n 1)
  program=$(echo "$command" | sed 's/^[-@+!:]*//' | awk '{ print $1 }')
  # A program this machine does not have runs as the lab's stand-in, when the lab made one.
  if [ -n "$program" ] && [ ! -x "$program" ] && [ -f "$standins/${'$'}{name%.service}.json" ]; then
    setsid node "$standins/standin.js" "$standins/${'$'}{name%.service}.json" </dev/null >>"$logs/$name.log" 2>&1 &
    echo $! > "$state/$name.pid"
    sleep 0.1
    is_active "$name" || { echo "$name: the lab's stand-in exited at start (see $logs/$name.log)" >&2; return 1; }
    return 0
  fi
  for directory in $(unit_values "$file" RuntimeDirectory); do
    mkdir -p "/run/$directory"
    [ -n "$user" ] && chown "$user" "/run/$directory"
  done
  unit_values "$file" ExecStartPre > "$state/$name.pre"
  while IFS= read -r line; do
    run_line "$line" || { echo "$name: ExecStartPre failed: $line (see $logs/$name.log)" >&2; rm -f "$state/$name.pre"; return 1; }
  done < "$state/$name.pre"
  rm -f "$state/$name.pre"
  command=$(unit_values "$file" ExecStart | tail -n 1)
  [ -n "$command" ] || { echo "$name: no ExecStart" >&2; return 1; }
  if [ "$type" = forking ]; then
    run_line "$command" || { echo "$name: ExecStart failed (see $logs/$name.log)" >&2; return 1; }
    for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$pidfile" ] && break; sleep 0.1; done
    cat "$pidfile" > "$state/$name.pid" 2>/dev/null
  else
    command=${'$'}{command#-}
    if [ -n "$user" ]; then
      setsid runuser -u "$user" -- sh -c "exec $command" </dev/null >>"$logs/$name.log" 2>&1 &
    else
      setsid sh -c "exec $command" </dev/null >>"$logs/$name.log" 2>&1 &
    fi
    echo $! > "$state/$name.pid"
    sleep 0.2
  fi
  is_active "$name" || { echo "$name: exited at start (see $logs/$name.log)" >&2; return 1; }
}

stop() {
  load_unit "$1"
  case $name in *.mount) rm -f "$state/$name.mounted"; return 0 ;; esac
  pid=$(main_pid "$name") || { rm -f "$state/$name.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  rm -f "$state/$name.pid"
}

reload() {
  load_unit "$1"
  # On a real host the package started its service when it was installed; a lab host starts
  # from nothing, so the first reload of an installed service starts it instead.
  MAINPID=$(main_pid "$name") || { start "$1"; return $?; }
  export MAINPID
  unit_values "$file" ExecReload > "$state/$name.reload"
  [ -s "$state/$name.reload" ] || { rm -f "$state/$name.reload"; echo "Job type reload is not applicable for unit $name." >&2; return 1; }
  while IFS= read -r line; do
    run_line "$line" || { echo "$name: ExecReload failed: $line (see $logs/$name.log)" >&2; rm -f "$state/$name.reload"; return 1; }
  done < "$state/$name.reload"
  rm -f "$state/$name.reload"
}

verb=${'$'}{1:-}
[ $# -gt 0 ] && shift
now=0
while [ $# -gt 0 ]; do case $1 in --now) now=1; shift ;; -*) shift ;; *) break ;; esac; done
case $verb in
  daemon-reload) exit 0 ;;
  enable)
    for unit in "$@"; do load_unit "$unit"; [ "$now" = 1 ] && { start "$unit" || exit 1; }; done; exit 0 ;;
  disable) for unit in "$@"; do load_unit "$unit"; [ "$now" = 1 ] && stop "$unit"; done; exit 0 ;;
  start) for unit in "$@"; do start "$unit" || exit 1; done ;;
  stop) for unit in "$@"; do stop "$unit"; done ;;
  restart) for unit in "$@"; do stop "$unit"; start "$unit" || exit 1; done ;;
  reload) for unit in "$@"; do reload "$unit" || exit $?; done ;;
  reload-or-restart|try-reload-or-restart)
    for unit in "$@"; do
      load_unit "$unit"
      if is_active "$name" && [ -n "$(unit_values "$file" ExecReload)" ]; then reload "$unit" || exit 1
      elif [ "$verb" = reload-or-restart ] || is_active "$name"; then stop "$unit"; start "$unit" || exit 1; fi
    done ;;
  is-active)
    code=0
    for unit in "$@"; do name=${'$'}{unit%.service}.service; if is_active "$name"; then echo active; else echo inactive; code=3; fi; done
    exit $code ;;
  *) echo "systemctl (Topoforge lab): '$verb' is not supported in a lab host" >&2; exit 1 ;;
esac
`;
