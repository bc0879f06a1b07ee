"""Run evaluations as independent tasks: in this process, or on a Dask distributed cluster.

Every task takes picklable inputs only (a source spec string and a config dict) and opens its
source itself, so the client never reads a frame and a remote cluster needs only the data at
the same paths. A task returns the engine's own :class:`~bgapp.evaluate.SequenceResult`, which
the client aggregates with :func:`~bgapp.evaluate.report`: the numbers are those of a serial
run (the same code runs, only elsewhere), and results come back in submission order.

``runner(workers, scheduler)`` picks where tasks run:

- neither given, or ``workers=1``: in this process, one after another (no Dask needed);
- ``workers=K`` (K > 1, or 0 for one per core): a ``LocalCluster(n_workers=K,
  threads_per_worker=1, processes=True)`` started for the run and closed after it;
- ``scheduler="tcp://HOST:PORT"``: an existing cluster (``dask scheduler`` + ``dask worker``);
  give absolute paths then, since sources are opened on the workers.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .config import Config
from .errors import BgappError, SourceError
from .evaluate import SequenceResult, evaluate, report
from .source import IndexedSource

Progress = Callable[[int, int], None]


# Tasks (run on workers; module-level so they pickle by reference) ------------------------------

def _quiet_threads() -> None:
    """One OpenCV thread per task on a cluster worker: the workers already use every core.

    Results do not change (NOTES: cv2.setNumThreads gives bit-identical masks).
    """
    import cv2

    if cv2.getNumThreads() != 1:
        cv2.setNumThreads(1)


def _warm_up() -> None:
    import cv2  # noqa: F401

    from . import evaluate, methods, sequences, synthetic  # noqa: F401


def open_spec(spec: str) -> IndexedSource:
    """One scored source from a spec that :func:`list_sequences` returned (``demo``, ``case:<name>``
    or a folder)."""
    if spec == "demo":
        from .synthetic import SyntheticScene

        return SyntheticScene()
    if spec.startswith("case:"):
        from .gallery import open_case

        return open_case(spec)
    from .sequences import Sequence

    return Sequence(spec)


def list_sequences(specs: Sequence[str]) -> list[str]:
    """Expand user specs (``demo``, sequence folders, category or dataset trees) to one spec per
    sequence, in the order ``bgapp eval`` evaluates them. Raises the first problem (a sequence that
    cannot be scored); :func:`find_specs` leaves such sequences out instead."""
    from .sources import open_scored_sources

    return [_spec_of(src) for src in open_scored_sources(list(specs))]


@dataclass(frozen=True)
class Found:
    """The sequences a run over many scores (specs, as :func:`list_sequences` gives them), and
    those it leaves out, with why, as results that carry the reason (:meth:`SequenceResult.failed`)."""

    specs: list[str]
    skipped: list[SequenceResult]


def find_specs(specs: Sequence[str]) -> Found:
    """:func:`list_sequences`, leaving out (and listing) each sequence that cannot be scored;
    raises only when none can."""
    from .sequences import Skipped
    from .sources import open_scored_sources

    skipped: list[Skipped] = []
    found = [_spec_of(src) for src in open_scored_sources(list(specs), skipped)]
    return Found(found, [SequenceResult.failed(s.path, s.reason) for s in skipped])


def _spec_of(src: Any) -> str:
    from .synthetic import SyntheticScene

    if isinstance(src, SyntheticScene):
        return str(src.path)  # "demo", or a gallery case's "case:<name>"
    # a folder literally called "demo" (or "case:...") must not turn into a synthetic scene
    path = str(src.path)
    return os.path.join(".", path) if path == "demo" or path.startswith("case:") else path


def sequence_lengths(specs: Sequence[str]) -> list[int]:
    """Frame counts of sequences (specs as :func:`list_sequences` returns them): longest tasks go first."""
    return [len(open_spec(s)) for s in specs]


def evaluate_spec(spec: str, config: dict[str, Any], post: bool = True, per_frame: bool = False,
                  worker: bool = False, progress: Progress | None = None, signature: bool = False) -> SequenceResult:
    """The evaluation task: open ``spec`` and score ``config`` on it (the engine's ``evaluate``).
    A sequence that fails (a bad file mid-way) comes back as a failed result, not an exception."""
    from .archive import shown_path

    if worker:
        _quiet_threads()
    try:
        source = open_spec(spec)
    except BgappError as exc:  # listed a moment ago, gone or broken since: left out
        return SequenceResult.failed(shown_path(spec), str(exc))
    try:
        return evaluate(source, Config.from_dict(config), post=post, per_frame=per_frame, progress=progress,
                        signature=signature)
    except SourceError as exc:  # a bad file mid-way: this sequence is left out, the others go on
        return SequenceResult.failed(shown_path(spec), str(exc))


# Where tasks run -------------------------------------------------------------------------------

def default_workers() -> int:
    """One worker per core (``os.cpu_count()``, at least 1)."""
    return max(1, os.cpu_count() or 1)


class SerialRunner:
    """Runs tasks in this process, in order."""

    workers = 1
    address = None
    description = "in this process"

    def map(self, fn: Callable[..., Any], calls: Sequence[tuple], progress: Progress | None = None) -> list[Any]:
        out = []
        for i, args in enumerate(calls):
            out.append(fn(*args))
            if progress is not None:
                progress(i + 1, len(calls))
        return out

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(*args)

    def close(self) -> None:
        pass

    def __enter__(self) -> SerialRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DaskRunner:
    """Runs tasks on a Dask cluster: a fresh local one, or the one at ``scheduler``."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None, timeout: float = 10.0) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask is a declared extra
            raise BgappError("running on several workers needs dask[distributed]: pip install 'dask[distributed]'") \
                from None
        self.cluster = None
        if scheduler:
            if "://" not in scheduler:
                scheduler = f"tcp://{scheduler}"
            try:
                self.client = Client(scheduler, timeout=timeout)
            except (OSError, TimeoutError) as exc:
                raise BgappError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
            self.address = scheduler
            self.description = f"the Dask cluster at {scheduler}"
        else:
            n = workers or default_workers()
            _ensure_importable()
            with _main_hidden():
                try:
                    self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                dashboard_address=":0", silence_logs=40)
                except RuntimeError as exc:
                    raise BgappError(f"cannot start {n} local Dask workers: {exc}") from None
            self.client = Client(self.cluster)
            self.address = self.cluster.scheduler_address
            self.description = f"a local Dask cluster of {n} worker processes"
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        try:
            self.client.run(_warm_up)  # import the engine on every worker now, not in the first tasks
        except Exception:  # noqa: BLE001 - only a head start; tasks import what they need anyway
            pass

    def as_done(self, fn: Callable[..., Any], calls: Sequence[tuple],
                order: Sequence[int] | None = None) -> Iterator[tuple[int, Any]]:
        """Submit every call as its own task (in ``order``, default as given) and yield ``(index in
        calls, result)`` as each finishes; a task's exception is raised when it finishes."""
        from distributed import as_completed

        order = range(len(calls)) if order is None else order
        # pure=False: identical arguments are still separate runs (never served from a cache).
        futures = {self.client.submit(fn, *calls[i], pure=False): i for i in order}
        try:
            for fut in as_completed(list(futures)):
                yield futures[fut], fut.result()  # re-raises the task's exception (a BgappError stays one)
        finally:
            for fut in futures:
                fut.release()

    def map(self, fn: Callable[..., Any], calls: Sequence[tuple], progress: Progress | None = None) -> list[Any]:
        """Every call as its own task; results in submission order, progress as they finish."""
        out: list[Any] = [None] * len(calls)
        for done, (i, res) in enumerate(self.as_done(fn, calls), start=1):
            out[i] = res
            if progress is not None:
                progress(done, len(calls))
        return out

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False).result()

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()

    def __enter__(self) -> DaskRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def _main_hidden() -> Iterator[None]:
    """Start worker processes without re-running the parent's main script in them.

    Dask's nanny starts workers with multiprocessing's "spawn", which imports the parent's
    ``__main__`` in each child: under Streamlit that is the app script (it would run the app),
    from ``python -`` it is ``<stdin>`` (it fails). Tasks only use functions of importable bgapp
    modules, so the children do not need it.
    """
    main = sys.modules.get("__main__")
    saved: dict[str, Any] = {k: main.__dict__[k] for k in ("__file__", "__spec__")
                             if main is not None and k in main.__dict__}
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__dict__["__spec__"] = None
        yield
    finally:
        if main is not None:
            main.__dict__.pop("__spec__", None)
            main.__dict__.update(saved)


def _ensure_importable() -> None:
    """Worker processes import bgapp by name: make sure they find it where this process did."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if root not in sys.path:
        sys.path.insert(0, root)
    paths = os.environ.get("PYTHONPATH", "")
    if root not in paths.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, paths) if p)


def runner(workers: int | None = None, scheduler: str | None = None) -> SerialRunner | DaskRunner:
    """Where tasks run: see the module docstring. ``workers`` < 0 is refused."""
    if workers is not None and workers < 0:
        raise BgappError(f"--workers must be 0 (one per core) or more, got {workers}")
    if scheduler:
        return DaskRunner(scheduler=scheduler)
    if workers is None or workers == 1 or (workers == 0 and default_workers() == 1):
        return SerialRunner()
    return DaskRunner(workers=workers or default_workers())


def on_cluster(run: SerialRunner | DaskRunner) -> bool:
    """Whether ``run`` sends tasks to Dask workers (which then quieten their OpenCV threads)."""
    return isinstance(run, DaskRunner)


def map_longest_first(run: SerialRunner | DaskRunner, fn: Callable[..., Any], calls: Sequence[tuple],
                      weights: Sequence[float] | None, progress: Progress | None = None) -> list[Any]:
    """``run.map`` with the heaviest calls submitted first on a cluster (one long sequence started
    last would leave the other workers idle at the end); results come back in ``calls`` order."""
    if not isinstance(run, DaskRunner) or weights is None or len(calls) < 2:
        return run.map(fn, calls, progress)
    out: list[Any] = [None] * len(calls)
    for done, (i, res) in enumerate(run.as_done(fn, calls, longest_first(weights)), start=1):
        out[i] = res
        if progress is not None:
            progress(done, len(calls))
    return out


def longest_first(weights: Sequence[float]) -> list[int]:
    """Indices from the heaviest call to the lightest (ties keep their order)."""
    return sorted(range(len(weights)), key=lambda i: -weights[i])


# Evaluation of many sequences ------------------------------------------------------------------

def evaluate_many(specs: Iterable[str], config: Config, post: bool = True, workers: int | None = None,
                  scheduler: str | None = None, progress: Progress | None = None, per_frame: bool = False,
                  run: SerialRunner | DaskRunner | None = None) -> list[SequenceResult]:
    """Evaluate ``config`` on every sequence ``specs`` name, one task per sequence.

    Returns the results in ``bgapp eval`` order; :func:`~bgapp.evaluate.report` turns them into
    the ``--json`` document. Pass ``run`` to reuse a runner (a cluster) across calls.
    """
    return evaluate_grid(specs, [config], post, workers, scheduler, progress, per_frame, run)[0]


def evaluate_grid(specs: Iterable[str], configs: Sequence[Config], post: bool = True, workers: int | None = None,
                  scheduler: str | None = None, progress: Progress | None = None, per_frame: bool = False,
                  run: SerialRunner | DaskRunner | None = None) -> list[list[SequenceResult]]:
    """Evaluate every config on every sequence ``specs`` name, one task per (config, sequence);
    returns, per config, its results in ``bgapp eval`` order. A sequence that cannot be scored is
    there as a failed result (``error``), which :func:`~bgapp.evaluate.report` lists and leaves out."""
    specs = [str(s) for s in specs]
    owned = run is None
    run = run or runner(workers, scheduler)
    try:
        found: Found = run.call(find_specs, specs)
        seqs = found.specs
        remote = on_cluster(run)
        calls = [(s, c.to_dict(), post, per_frame, remote) for c in configs for s in seqs]
        weights = run.call(sequence_lengths, seqs) * len(configs) if remote else None
        done = map_longest_first(run, evaluate_spec, calls, weights, progress)
    finally:
        if owned:
            run.close()
    n = len(seqs)
    return [done[i * n:(i + 1) * n] + list(found.skipped) for i in range(len(configs))]


def eval_document(specs: Iterable[str], config: Config, post: bool = True, workers: int | None = None,
                  scheduler: str | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """The ``bgapp eval --json`` document, computed on ``workers``/``scheduler``."""
    return report(evaluate_many(specs, config, post, workers, scheduler, progress))
