"""Start or stop a one-node SLURM cluster on this machine, for the `slurm` nox session.

    python tools/slurm_cluster.py start STATE_DIR   # prints `export SLURM_CONF=...`
    python tools/slurm_cluster.py stop STATE_DIR

Needs Debian's `slurm-wlm` and `munge` (`apt-get install slurm-wlm munge`) and root (the
daemons run as root; nothing is installed or enabled system-wide). Everything the
cluster writes (munge key and socket, slurm.conf, state, spool, pid and log files)
stays in STATE_DIR; no systemd, no cgroups, no accounting database. Clients find the
cluster through `SLURM_CONF=STATE_DIR/slurm.conf`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

SBIN = ("/usr/sbin", "/usr/bin", "/sbin")
READY_SECONDS = 90.0
CONTROLLER_PORT, NODE_PORT = 16817, 16818
"""Not the default ports, so a real SLURM on the machine is left alone."""
DAEMONS = ("slurmd", "slurmctld", "munged")
"""Stopped in this order."""


def _program(name: str) -> str:
    found = shutil.which(name, path=os.pathsep.join([*SBIN, os.environ.get("PATH", "")]))
    if found is None:
        sys.exit(f"slurm_cluster: `{name}` not found; install it: apt-get install slurm-wlm munge")
    return found


def slurm_conf(state: Path, host: str, cpus: int) -> str:
    """The configuration of a one-node cluster on `host` keeping its files in `state`."""
    return f"""\
ClusterName=flows-ci
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={CONTROLLER_PORT}
SlurmdPort={NODE_PORT}
AuthType=auth/munge
AuthInfo=socket={state}/munge/munge.socket
CredType=cred/munge
StateSaveLocation={state}/ctld
SlurmdSpoolDir={state}/spool
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=600
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def start(state: Path) -> None:
    """Start munged, slurmctld and slurmd with their files in `state`; wait for the node."""
    state = state.resolve()
    munge = state / "munge"
    for folder in (munge, state / "ctld", state / "spool"):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
    key = munge / "munge.key"
    if not key.exists():
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
    conf = state / "slurm.conf"
    conf.write_text(slurm_conf(state, socket.gethostname().split(".")[0], os.cpu_count() or 1))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    run = [
        [_program("munged"), "--force", f"--key-file={key}", f"--socket={munge}/munge.socket",
         f"--pid-file={state}/munged.pid", f"--log-file={state}/munged.log",
         f"--seed-file={munge}/munge.seed"],
        [_program("slurmctld"), "-f", str(conf)],
        [_program("slurmd"), "-f", str(conf)],
    ]  # fmt: skip
    for command in run:
        subprocess.run(command, check=True, env=env, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        done = subprocess.run(
            [_program("sinfo"), "--noheader", "--format=%t"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.stdout.strip() in ("idle", "mix", "alloc"):
            print(f"export SLURM_CONF={conf}")
            return
        time.sleep(0.5)
    logs = "\n".join(
        f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}"
        for log in sorted(state.glob("*.log"))
    )
    stop(state)
    sys.exit(f"slurm_cluster: the node did not come up in {READY_SECONDS:.0f} s\n{logs}")


def stop(state: Path) -> None:
    """Stop the daemons started with `state` (SIGTERM, then SIGKILL); leave their files."""
    for daemon in DAEMONS:
        pid_file = state / f"{daemon}.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
        print(f"stopped {daemon} ({pid})")


def main() -> None:
    """`start STATE_DIR` or `stop STATE_DIR`."""
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit("usage: slurm_cluster.py start|stop STATE_DIR")
    (start if sys.argv[1] == "start" else stop)(Path(sys.argv[2]))


if __name__ == "__main__":
    main()
