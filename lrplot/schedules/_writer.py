"""A helper thread that writes a long curve's rows into its outputs while the caller computes more.

Writing 10⁷ float64 rows into new arrays costs about as long as computing them in the CPU's cache:
the kernel finds and zeroes every page on its first write, and the rows travel to main memory. A
curve computed a piece at a time can hand each finished piece (kept in a buffer that stays in
cache) to a second core, which copies or scales it into the outputs while the first core computes
the next piece. The jobs run in order, one at a time; the caller waits (:meth:`Writer.wait`, which
raises the error of a job that failed) before it reuses a buffer that a job still reads and before
it reads the outputs, and closes the writer (:meth:`Writer.close`) in any case. Short curves take
:class:`Inline`, which runs each job as it is handed over: the same interface, no thread.

Each job's array operations are long (a piece is 2^18 rows), because numpy releases Python's lock
only inside an operation: the two threads then take it from each other rarely.
"""

from __future__ import annotations

from collections.abc import Callable

# Rows from which a curve is written by a helper thread (below, starting one costs more than it saves).
THREAD_FROM = 1 << 20


class Writer:
    """Runs the jobs handed to it, in order, on one helper thread."""

    def __init__(self) -> None:
        import queue  # only long curves need them (cold start)
        import threading

        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._done = 0  # jobs finished, failed ones included
        self._error: BaseException | None = None
        self._progress = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="lrplot-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                if self._error is None:  # after a failure the rest are skipped, only counted
                    job()
            except BaseException as error:  # re-raised in the caller's thread by wait/close
                self._error = error
            with self._progress:
                self._done += 1
                self._progress.notify_all()

    def submit(self, job: Callable[[], None]) -> None:
        """Hand over the next job (numbered from 0 in the order given)."""
        self._jobs.put(job)

    def wait(self, jobs: int) -> None:
        """Return once the first ``jobs`` jobs have run; raise the error of one that failed."""
        if self._done < jobs:
            with self._progress:
                self._progress.wait_for(lambda: self._done >= jobs)
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Stop the thread once every job handed over has run (errors are for :meth:`wait`: a
        caller closes in ``finally``, perhaps while raising an error of its own)."""
        self._jobs.put(None)
        self._thread.join()


class Inline:
    """The same interface, running each job at once in the caller's thread."""

    def submit(self, job: Callable[[], None]) -> None:
        job()

    def wait(self, jobs: int) -> None:
        """Every job handed over has run already."""

    def close(self) -> None:
        """Nothing to stop."""


def writer(rows: int) -> Writer | Inline:
    """A :class:`Writer` for a curve of this many rows, or :class:`Inline` for a short one."""
    return Writer() if rows >= THREAD_FROM else Inline()
