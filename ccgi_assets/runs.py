"""Runs on one machine: one writer of the embedded warehouse at a time, and no run left STARTED by a dead process.

**One writer.** The embedded DuckDB file takes one writer at a time (DuckDB's own lock fails a second one part-way
with "Conflicting lock is held"). Every run that writes it takes :class:`WriterLock` first, an ``fcntl`` lock on
``$CCGI_HOME/.writer.lock`` that the kernel releases when its process ends, however it ends: ``ccgi run`` takes
it before its run starts (``--no-wait``: gives up at once), and a run the daemon launches takes it in its executor
(:data:`one_writer_executor`), logging which run it waits for. The lock file names its holder (run id, what, pid),
so a waiter can say what it waits for. On Snowflake there is no file to guard: no lock.

**No run left STARTED.** A run whose process was killed stays STARTED in Dagster's run storage, and with
``max_concurrent_runs: 1`` every later run stays QUEUED behind it. :func:`worker_status` tells from a run's
process id (the ``ccgi/worker`` tag, ``host:pid``, or the pid of its RUN_START event) whether its process still
runs; :class:`PidCheckingRunLauncher` (Dagster's default launcher plus that health check) lets Dagster's run
monitoring mark such runs failed, and ``ccgi run`` does the same before it starts (:func:`recover_dead_runs`).

This module is imported by Dagster's daemon and webserver (the run launcher in ``dagster.yaml``): keep it light.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter, executor
from dagster._core.definitions.executor_definition import IN_PROC_CONFIG, _core_in_process_executor_creation
from dagster._core.events import DagsterEvent, DagsterEventType, EngineEventData
from dagster._core.executor.in_process import InProcessExecutor
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus
from dagster._core.storage.dagster_run import DagsterRun

#: run tag naming the process that executes a run, ``host:pid``
WORKER_TAG = "ccgi/worker"
#: ``ccgi run --no-wait`` exits with this code when another run holds the warehouse (sysexits EX_TEMPFAIL)
EXIT_BUSY = 75
LOCK_NAME = ".writer.lock"
#: a process that started this long after its run started cannot be the run's process (its pid was reused)
_PID_REUSE_SLACK_S = 2.0
#: run statuses a dead process can leave behind
_LEFT_BEHIND = [DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


# ------------------------------------------------------------------------------------------------ processes
def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _boot_time() -> float | None:
    try:
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def process_started_at(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), ``nan`` if it runs but the time is unknown (not Linux), or
    None if no such process runs (a zombie, killed but not yet reaped by its parent, does not run)."""
    if pid <= 0:
        return None
    stat = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").exists():
        try:
            text = stat.read_text()
        except OSError:
            return None
        fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces
        if fields[0] in ("Z", "X"):
            return None
        boot = _boot_time()
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK") if boot is not None else float("nan")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return float("nan")


def _local_storage(instance: DagsterInstance) -> bool:
    """A run storage on this machine's disk (SQLite, the default): every run's process ran on this host."""
    return type(instance.run_storage).__name__.startswith("Sqlite")


def run_worker(instance: DagsterInstance, run: DagsterRun) -> tuple[str | None, int] | None:
    """The (host, pid) of the process that executes ``run``: its ``ccgi/worker`` tag, else the pid of its RUN_START
    event when the instance is local (host None: this one). None when unknown (not started yet)."""
    tag = run.tags.get(WORKER_TAG)
    if tag and ":" in tag:
        host, _, pid = tag.rpartition(":")
        if pid.isdigit():
            return host, int(pid)
    if not _local_storage(instance):
        return None
    records = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.RUN_START, limit=1).records
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is not None and event.pid:
            return None, int(event.pid)
    return None


def worker_status(instance: DagsterInstance, run: DagsterRun) -> CheckRunHealthResult:
    """RUNNING while the run's process runs (or when this machine cannot tell); FAILED when it is gone."""
    worker = run_worker(instance, run)
    if worker is None:
        return CheckRunHealthResult(WorkerStatus.RUNNING, "process not known yet")
    host, pid = worker
    if host is not None and host != socket.gethostname():
        return CheckRunHealthResult(WorkerStatus.RUNNING, f"runs on {host}, not checked from here")
    started = process_started_at(pid)
    record = instance.get_run_record_by_id(run.run_id)
    run_started = record.start_time if record is not None else None
    if started is None:
        return CheckRunHealthResult(WorkerStatus.FAILED, f"its process (pid {pid}) is no longer running")
    if run_started is not None and started == started and started > run_started + _PID_REUSE_SLACK_S:
        return CheckRunHealthResult(WorkerStatus.FAILED,
                                    f"its process (pid {pid}) is no longer running (the pid now names another)")
    return CheckRunHealthResult(WorkerStatus.RUNNING, f"process {pid} running")


def recover_dead_runs(instance: DagsterInstance) -> list[str]:
    """Mark failed every run left STARTED (or CANCELING) by a process that no longer runs, so the run queue moves
    on. Returns one line per run marked (also the message of its failure event)."""
    lines = []
    for run in instance.get_runs(RunsFilter(statuses=_LEFT_BEHIND)):
        health = worker_status(instance, run)
        if health.status != WorkerStatus.FAILED:
            continue
        current = instance.get_run_by_id(run.run_id)
        if current is None or current.is_finished:
            continue
        line = (f"run {run.run_id} ({run.job_name}) was left {run.status.value} and {health.msg}: "
                "marked failed, so the runs queued after it can start")
        instance.report_run_failed(current, message=line)
        lines.append(line)
    return lines


class PidCheckingRunLauncher(DefaultRunLauncher):
    """Dagster's default run launcher (runs in a subprocess of the code server) with a worker health check by
    process id, so Dagster's run monitoring (``run_monitoring:`` in ``dagster.yaml``) marks failed a run whose
    process died, ``ccgi run``'s in-process runs included. Only for runs on this machine; a run whose process
    cannot be checked from here counts as running."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        return worker_status(self._instance, run)


# ------------------------------------------------------------------------------------------------ one writer
class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse and the caller would not wait."""


class WriterLock:
    """The warehouse's writer lock: ``fcntl.flock`` on ``<home>/.writer.lock``, held by one process at a time and
    released by the kernel when that process ends. The file names its holder, for the ones waiting."""

    def __init__(self, home: Path, warehouse: Path | None = None):
        self.path = Path(home) / LOCK_NAME
        self.warehouse = warehouse or Path(home) / "warehouse.duckdb"
        self._fd: int | None = None

    def _try(self) -> bool:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def holder(self) -> dict:
        try:
            return json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return {}

    def describe(self, holder: dict | None = None) -> str:
        h = self.holder() if holder is None else holder
        if not h:
            return f"the run that holds the warehouse {self.warehouse}"
        return (f"the run {h.get('run_id', '?')} ({h.get('what', '?')}, pid {h.get('pid', '?')}) that holds the "
                f"warehouse {self.warehouse} since {h.get('since', '?')}")

    def name_holder(self, run_id: str, what: str) -> None:
        """Write who holds the lock (run id, what, pid) into the lock file."""
        assert self._fd is not None
        info = json.dumps({"run_id": run_id, "what": what, "pid": os.getpid(),
                           "since": dt.datetime.now().astimezone().replace(microsecond=0).isoformat()})
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, info.encode(), 0)

    def acquire(self, run_id: str, what: str, *, wait: bool = True, on_wait: Callable[[str], None] | None = None,
                poll: float = 0.5) -> float:
        """Take the lock for ``run_id``; returns the seconds waited. ``wait=False``: raise :class:`WarehouseBusy`
        naming the holder. ``on_wait`` gets one line each time the holder changes while waiting."""
        t0 = time.monotonic()
        said = None
        while not self._try():
            holder = self.holder()
            if not wait:
                self.close()
                raise WarehouseBusy(self.describe(holder))
            key = (holder.get("run_id"), holder.get("pid"))
            if on_wait is not None and key != said:
                on_wait(f"waiting for {self.describe(holder)}")
                said = key
            time.sleep(poll)
        self.name_holder(run_id, what)
        return time.monotonic() - t0

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            self.close()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor releases the flock
            self._fd = None


def writes_local_warehouse() -> bool:
    """Runs write the embedded DuckDB file (``CCGI_TARGET=local``), which takes one writer at a time."""
    from resources.settings import target

    return target() == "local"


def lock_for_home() -> WriterLock:
    from resources.settings import ccgi_home, warehouse_path

    home = ccgi_home()
    return WriterLock(home, warehouse_path(home))


def run_label(run: DagsterRun) -> str:
    """What a run does, in a few words, for the lock file and messages (no values but LEA codes)."""
    partition = run.tags.get("dagster/partition")
    start, end = run.tags.get("dagster/asset_partition_range_start"), run.tags.get("dagster/asset_partition_range_end")
    what = run.tags.get("ccgi/trigger") or run.job_name
    if partition:
        return f"{what}, LEA {partition}"
    if start:
        return f"{what}, LEAs {start}..{end}"
    return what


class OneWriterExecutor(InProcessExecutor):
    """Dagster's in-process executor, holding the warehouse's writer lock around the run's steps (local target)."""

    def execute(self, plan_context, execution_plan) -> Iterator[DagsterEvent]:
        run = plan_context.dagster_run
        plan_context.instance.add_run_tags(run.run_id, {WORKER_TAG: worker_id()})
        if not writes_local_warehouse():
            yield from super().execute(plan_context, execution_plan)
            return
        lock = lock_for_home()
        waited_for: list[str] = []
        try:
            # the first try says who holds it before this run blocks, as an event in the run's log
            if not lock._try():
                message = f"waiting for {lock.describe()}"
                yield DagsterEvent.engine_event(plan_context, message, EngineEventData())
                waited_for.append(message)
            waited = lock.acquire(run.run_id, run_label(run))
            if waited_for:
                yield DagsterEvent.engine_event(
                    plan_context, f"took the warehouse's writer lock after {waited:.0f} s", EngineEventData())
            yield from super().execute(plan_context, execution_plan)
        finally:
            lock.release()


@executor(name="in_process_one_writer", config_schema=IN_PROC_CONFIG)
def one_writer_executor(init_context) -> OneWriterExecutor:
    """Steps in one process, one after another, holding the warehouse's writer lock (see :mod:`ccgi_assets.runs`).
    ``execute_in_process`` replaces a job's executor: ``ccgi run`` takes the same lock itself."""
    base = _core_in_process_executor_creation(init_context.executor_config)
    return OneWriterExecutor(retries=base.retries, step_dependency_config=base.step_dependency_config)


# ------------------------------------------------------------------------------------------------ one backfill
def contiguous_ranges(wanted: list[str], order: list[str]) -> list[list[str]]:
    """The LEAs ``wanted`` in runs of neighbours in the dynamic partitions' order (the order they were added in),
    as few as cover exactly them: one when they are all the partitions there are. A run's partition key range is
    its first and last key."""
    pos = {k: i for i, k in enumerate(order)}
    ranges: list[list[str]] = []
    for i in sorted(pos[k] for k in set(wanted)):
        if ranges and pos[ranges[-1][-1]] == i - 1:
            ranges[-1].append(order[i])
        else:
            ranges.append([order[i]])
    return ranges


def lea_outcomes(events, leas: list[str], partitioned: list[str]) -> dict[str, str | None]:
    """Per LEA of a single-run backfill, None when each of its ``partitioned`` assets was materialized for it and
    ``optin_students`` read its list; else a reason (asset names and rules only). From the run's events."""
    done: dict[str, set[str]] = {}
    kept: dict[str, str] = {}
    for e in events:
        if e.event_type != DagsterEventType.ASSET_MATERIALIZATION or e.partition is None:
            continue
        name = e.asset_key.to_user_string()
        done.setdefault(e.partition, set()).add(name)
        if name == "optin_students":
            value = e.materialization.metadata.get("leas_failed")
            kept.update(getattr(value, "value", None) or {})
    out: dict[str, str | None] = {}
    for lea in leas:
        missing = [a for a in partitioned if a not in done.get(lea, set())]
        if missing:
            out[lea] = f"stopped before {missing[0]} (see the run's log)"
        elif lea in kept:
            what = "its CALPADS upload is held" if kept[lea] == "calpads_upload_held" \
                else f"its opt-in list could not be read (rule {kept[lea]})"
            out[lea] = f"{what}; its previous rows and exports stand"
        else:
            out[lea] = None
    return out
