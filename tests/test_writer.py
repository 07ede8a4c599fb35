"""The helper thread that writes long curves' rows (lrplot/schedules/_writer.py): jobs run in order
on another thread, waiting returns only once they have run, a job's error reaches the caller, and
no thread outlives close(); short curves run their jobs inline."""

from __future__ import annotations

import threading

import pytest

from lrplot.schedules import _writer


def test_jobs_run_in_order_on_another_thread():
    ran: list[tuple[int, str]] = []
    gate = threading.Event()
    writes = _writer.Writer()
    try:
        writes.submit(gate.wait)  # holds the thread until every job is handed over
        for number in range(50):
            writes.submit(lambda number=number: ran.append((number, threading.current_thread().name)))
        assert ran == []
        gate.set()
        writes.wait(51)
        assert [number for number, _ in ran] == list(range(50))
        assert {name for _, name in ran} == {"lrplot-writer"}
    finally:
        writes.close()
    assert not writes._thread.is_alive()


def test_wait_returns_only_once_the_jobs_have_run():
    gate, ran = threading.Event(), []
    writes = _writer.Writer()
    try:
        writes.submit(lambda: (gate.wait(), ran.append(1)))
        writes.submit(lambda: ran.append(2))
        waiter = threading.Thread(target=writes.wait, args=(2,))
        waiter.start()
        waiter.join(0.2)
        assert waiter.is_alive() and ran == []
        gate.set()
        waiter.join(10)
        assert not waiter.is_alive() and ran == [1, 2]
        writes.wait(0)  # already true: returns at once
    finally:
        writes.close()


def test_a_failing_job_raises_in_the_caller_and_stops_the_rest():
    ran = []
    writes = _writer.Writer()
    try:
        writes.submit(lambda: ran.append("first"))
        writes.submit(lambda: 1 / 0)
        writes.submit(lambda: ran.append("after"))
        with pytest.raises(ZeroDivisionError):
            writes.wait(3)
        assert ran == ["first"]
    finally:
        writes.close()
    assert not writes._thread.is_alive()


def test_close_waits_for_every_job_handed_over():
    ran = []
    writes = _writer.Writer()
    for number in range(20):
        writes.submit(lambda number=number: ran.append(number))
    writes.close()
    assert ran == list(range(20)) and not writes._thread.is_alive()


def test_short_curves_run_their_jobs_inline():
    inline = _writer.writer(_writer.THREAD_FROM - 1)
    assert isinstance(inline, _writer.Inline)
    ran = []
    inline.submit(lambda: ran.append(threading.current_thread()))
    assert ran == [threading.current_thread()]
    inline.wait(1)
    inline.close()
    long = _writer.writer(_writer.THREAD_FROM)
    try:
        assert isinstance(long, _writer.Writer)
    finally:
        long.close()
