"""The event engine: callbacks in SimPy's order, `until` as SimPy means it, and SimPy's own events still run."""

from __future__ import annotations

import pytest

from sim.model.engine import Engine


def test_callbacks_fire_by_time_then_by_the_order_scheduled_and_wait_at_until():
    eng = Engine()
    seen: list[tuple[float, str]] = []
    eng.at(5, lambda: seen.append((eng.now, "b")))
    eng.at(2, lambda: seen.append((eng.now, "a")))
    eng.at(5, lambda: seen.append((eng.now, "c")))
    eng.at(10, lambda: seen.append((eng.now, "at until")))
    eng.run(until=10)
    assert seen == [(2, "a"), (5, "b"), (5, "c")]  # what falls at `until` itself waits, as with SimPy
    assert eng.now == 10 and eng.n_events == 4
    eng.run(until=11)
    assert seen[-1] == (10, "at until")


def test_a_callback_scheduling_at_zero_delay_runs_after_those_already_due_then():
    eng = Engine()
    seen: list[str] = []
    eng.at(1, lambda: (seen.append("first"), eng.at(0, lambda: seen.append("third"))))
    eng.at(1, lambda: seen.append("second"))
    eng.run()
    assert seen == ["first", "second", "third"] and eng.now == 1


def test_simpy_processes_run_beside_the_callbacks():
    """A process's timeouts count from the engine's clock (SimPy reads `_now`): the second wakes at 6."""
    eng = Engine()
    seen: list[tuple[float, str]] = []

    def proc():
        yield eng.timeout(3)
        seen.append((eng.now, "process"))
        yield eng.timeout(3)
        seen.append((eng.now, "process"))

    eng.process(proc())
    eng.at(2, lambda: seen.append((eng.now, "callback")))
    eng.at(4, lambda: seen.append((eng.now, "callback")))
    eng.run(until=100)
    assert seen == [(2, "callback"), (3, "process"), (4, "callback"), (6, "process")] and eng.now == 100


def test_callbacks_have_simpy_s_normal_priority():
    """A process started after a callback due now still starts first: SimPy starts processes with urgent
    priority, and the callbacks are normal events."""
    eng = Engine()
    seen: list[str] = []

    def proc():
        seen.append("process")
        yield eng.timeout(0)

    eng.at(0, lambda: seen.append("callback"))
    eng.process(proc())
    eng.run(until=1)
    assert seen == ["process", "callback"]


def test_a_negative_delay_or_an_until_in_the_past_is_refused():
    eng = Engine()
    with pytest.raises(ValueError, match="negative delay"):
        eng.at(-1, print)
    eng.run(until=5)
    with pytest.raises(ValueError, match="must not be before"):
        eng.run(until=4)


def test_step_fires_one_entry_at_a_time_and_says_when_nothing_is_left():
    import simpy

    eng = Engine()
    seen: list[float] = []
    eng.at(3, lambda: seen.append(eng.now))
    eng.at(1, lambda: seen.append(eng.now))
    eng.step()
    assert seen == [1] and eng.now == 1 and eng.peek() == 3
    eng.step()
    assert seen == [1, 3]
    with pytest.raises(simpy.core.EmptySchedule):
        eng.step()
    with pytest.raises(TypeError, match="number of minutes"):
        eng.run(until=eng.event())


def test_at_time_fires_at_exactly_that_minute_and_refuses_the_past():
    """`at_time` is for a minute worked out earlier (since + after): no addition to now that could round."""
    eng = Engine()
    seen: list[float] = []
    now, due = 47.7153728586095, 4447.5990131131175
    assert now + (due - now) != due  # what `at(due - now)` would give
    eng.at(now, lambda: eng.at_time(due, lambda: seen.append(eng.now)))
    eng.run()
    assert seen == [due] and eng.n_events == 2
    with pytest.raises(ValueError, match="before now"):
        eng.at_time(0.5, lambda: None)
