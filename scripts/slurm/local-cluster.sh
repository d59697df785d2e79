#!/usr/bin/env bash
# Single-node Slurm on localhost, for tests and CI (Debian/Ubuntu, run as root, no systemd needed).
#
#   local-cluster.sh start    install slurm-wlm + munge if missing, start munged, slurmctld, slurmd,
#                             wait until the node is idle (idempotent: a running cluster is kept)
#   local-cluster.sh stop     stop the daemons this script started (by their pid files)
#   local-cluster.sh status   daemons, sinfo
#
# Environment:
#   LOCAL_SLURM_DIR   state, spool, logs and pid files (default /var/tmp/rhetor-slurm)
#   LOCAL_SLURM_CPUS  CPUs of the node (default: nproc)
#   LOCAL_SLURM_TIMEOUT seconds to wait for the node to become idle (default 60)
#
# The slurm.conf it writes uses no cgroup plugin (proctrack/linuxproc, task/none) and no
# accounting, so it runs in containers. On failure it prints what failed and the daemons' logs.
set -euo pipefail
# The daemons live in /usr/sbin, which a CI shell's PATH may lack.
export PATH=$PATH:/usr/sbin:/sbin

DIR=${LOCAL_SLURM_DIR:-/var/tmp/rhetor-slurm}
TIMEOUT=${LOCAL_SLURM_TIMEOUT:-60}
MARKER="# written by rhetor scripts/slurm/local-cluster.sh"

say() { printf '[local-cluster] %s\n' "$*" >&2; }
die() {
    printf '[local-cluster] FAILED: %s\n' "$*" >&2
    exit 1
}

# Show the tail of the daemons' logs (after a failure).
show_logs() {
    local f
    for f in "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" /var/log/munge/munged.log; do
        if [[ -s $f ]]; then
            say "---- last lines of $f ----"
            tail -n 25 "$f" >&2
        fi
    done
}

conf_dir() {
    # Debian >= 11 / Ubuntu >= 22.04 read /etc/slurm; older packages /etc/slurm-llnl.
    if [[ -d /etc/slurm-llnl && ! -d /etc/slurm ]]; then
        echo /etc/slurm-llnl
    else
        echo /etc/slurm
    fi
}

pid_alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_packages() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
        command -v sbatch >/dev/null && command -v munged >/dev/null; then
        return
    fi
    [[ $(id -u) -eq 0 ]] || die "slurm-wlm/munge are not installed and we are not root (cannot apt-get install)"
    command -v apt-get >/dev/null || die "slurm-wlm/munge are not installed and there is no apt-get"
    say "installing slurm-wlm munge with apt-get ..."
    local t0=$SECONDS
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >"$DIR/log/apt.log" 2>&1 || {
        tail -n 20 "$DIR/log/apt.log" >&2
        die "apt-get update failed (log: $DIR/log/apt.log)"
    }
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >>"$DIR/log/apt.log" 2>&1 || {
        tail -n 20 "$DIR/log/apt.log" >&2
        die "apt-get install slurm-wlm munge failed (log: $DIR/log/apt.log)"
    }
    say "installed slurm-wlm munge in $((SECONDS - t0)) s ($(slurmd -V))"
}

start_munge() {
    if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
        say "munged already running"
        return
    fi
    if [[ ! -s /etc/munge/munge.key ]]; then
        say "creating /etc/munge/munge.key"
        mkdir -p /etc/munge
        if command -v mungekey >/dev/null; then
            mungekey --create --keyfile=/etc/munge/munge.key --force
        else
            dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
        fi
    fi
    chown munge:munge /etc/munge /etc/munge/munge.key
    chmod 700 /etc/munge
    chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    chmod 755 /run/munge
    # munged refuses to run as root: run it as the munge user. It daemonizes itself.
    if command -v runuser >/dev/null; then
        runuser -u munge -- munged --pid-file=/run/munge/munged.pid --log-file=/var/log/munge/munged.log ||
            die "munged did not start (see /var/log/munge/munged.log)"
    else
        su -s /bin/sh munge -c "munged --pid-file=/run/munge/munged.pid --log-file=/var/log/munge/munged.log" ||
            die "munged did not start (see /var/log/munge/munged.log)"
    fi
    for _ in $(seq 1 20); do
        if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
            cp /run/munge/munged.pid "$DIR/run/munged.pid" 2>/dev/null || true
            say "munged started"
            return
        fi
        sleep 0.5
    done
    show_logs
    die "munged is running but 'munge -n | unmunge' fails"
}

write_conf() {
    local cdir host cpus mem_mb real_mb conf tmp
    cdir=$(conf_dir)
    host=$(hostname -s)
    cpus=${LOCAL_SLURM_CPUS:-$(nproc)}
    mem_mb=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
    # Below the machine's memory, or slurmd registers the node as invalid.
    real_mb=$((mem_mb * 9 / 10))
    ((real_mb > 0)) || real_mb=1
    mkdir -p "$cdir"
    conf=$cdir/slurm.conf
    if [[ -e $conf ]] && ! grep -qF "$MARKER" "$conf"; then
        say "backing up the existing $conf to $conf.before-rhetor"
        cp -a "$conf" "$conf.before-rhetor"
    fi
    tmp=$(mktemp)
    cat >"$tmp" <<EOF
$MARKER
# Single-node test cluster: no cgroups, no accounting.
ClusterName=rhetorlocal
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=600
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cpus RealMemory=$real_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    if [[ -e $conf ]] && cmp -s "$tmp" "$conf"; then
        rm -f "$tmp"
    else
        mv "$tmp" "$conf"
        chmod 644 "$conf"
        say "wrote $conf (node $host, CPUs=$cpus, RealMemory=$real_mb MB)"
    fi
}

wait_idle() {
    local host state t0=$SECONDS resumed=0
    host=$(hostname -s)
    while true; do
        state=$(sinfo -h -N -n "$host" -o '%t' 2>/dev/null | head -n 1 || true)
        case $state in
        idle | mix | alloc) return 0 ;;
        inval*)
            show_logs
            scontrol show node "$host" >&2 || true
            die "slurmctld rejected node $host as INVALID: $(scontrol show node "$host" 2>/dev/null | grep -o 'Reason=.*' || echo 'no reason given')"
            ;;
        down* | drain* | drng*)
            if ((resumed == 0)); then
                say "node state '$state': asking scontrol to resume it"
                scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true
                resumed=1
            fi
            ;;
        esac
        if ((SECONDS - t0 >= TIMEOUT)); then
            show_logs
            sinfo -N -l >&2 || true
            scontrol show node "$host" >&2 || true
            die "node $host not idle after ${TIMEOUT} s (last sinfo state: '${state:-none}')"
        fi
        sleep 1
    done
}

start() {
    local t0=$SECONDS
    mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run"
    install_packages
    start_munge
    write_conf
    if pid_alive "$DIR/run/slurmctld.pid"; then
        say "slurmctld already running (pid $(cat "$DIR/run/slurmctld.pid"))"
    else
        [[ -e $DIR/log/slurmctld.log ]] && mv -f "$DIR/log/slurmctld.log" "$DIR/log/slurmctld.log.prev"
        # -c: start with a clean job state (this is a throw-away test cluster).
        slurmctld -c || {
            show_logs
            die "slurmctld did not start (exit $?)"
        }
    fi
    if pid_alive "$DIR/run/slurmd.pid"; then
        say "slurmd already running (pid $(cat "$DIR/run/slurmd.pid"))"
    else
        [[ -e $DIR/log/slurmd.log ]] && mv -f "$DIR/log/slurmd.log" "$DIR/log/slurmd.log.prev"
        slurmd || {
            show_logs
            die "slurmd did not start; run 'slurmd -D -vvv' to see why"
        }
    fi
    sleep 1
    pid_alive "$DIR/run/slurmctld.pid" || {
        show_logs
        die "slurmctld exited right after starting (log: $DIR/log/slurmctld.log)"
    }
    pid_alive "$DIR/run/slurmd.pid" || {
        show_logs
        die "slurmd exited right after starting (log: $DIR/log/slurmd.log; try 'slurmd -D -vvv')"
    }
    wait_idle
    say "cluster up in $((SECONDS - t0)) s: $(sinfo -h -o '%P %a %D %t CPUs=%c')"
}

stop_pidfile() {
    local name=$1 file=$2 pid
    if pid_alive "$file"; then
        pid=$(cat "$file")
        kill "$pid"
        for _ in $(seq 1 75); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null || true
        fi
        say "stopped $name (pid $pid)"
    else
        say "$name not running"
    fi
    rm -f "$file"
}

stop() {
    stop_pidfile slurmd "$DIR/run/slurmd.pid"
    stop_pidfile slurmctld "$DIR/run/slurmctld.pid"
    # munged only if this script started it.
    if [[ -s $DIR/run/munged.pid ]]; then
        if [[ -s /run/munge/munged.pid && $(cat /run/munge/munged.pid) == $(cat "$DIR/run/munged.pid") ]]; then
            stop_pidfile munged "$DIR/run/munged.pid"
        else
            rm -f "$DIR/run/munged.pid"
        fi
    fi
}

status() {
    local rc=0 n
    if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
        echo "munged: running$(pid_alive "$DIR/run/munged.pid" && echo " (pid $(cat "$DIR/run/munged.pid"), started by this script)")"
    else
        echo "munged: not running"
        rc=1
    fi
    for n in slurmctld slurmd; do
        if pid_alive "$DIR/run/$n.pid"; then
            echo "$n: running (pid $(cat "$DIR/run/$n.pid"))"
        else
            echo "$n: not running"
            rc=1
        fi
    done
    # sinfo retries for several seconds when slurmctld is down: ask only when it runs.
    if pid_alive "$DIR/run/slurmctld.pid"; then
        sinfo 2>&1 || rc=1
    fi
    return $rc
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
