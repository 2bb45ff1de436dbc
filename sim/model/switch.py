"""The peacetime-to-emergency switch: activation rules as objects, the decision delay, and the watcher that
stands the district down after a quiet period.

A rule is told when the run starts and when a report of the trigger severity reaches the command; it
orders activation through the switch. An order by hand (a drill's `activate` inject, or a trainer from
Python) goes straight to the switch under any rule: `never` means no rule fires, so a drill can leave
activation to its injects. The registry `RULES` is the one list of names; the schema's
`ActivationRuleName` must name exactly these.
"""

from __future__ import annotations

import math
import typing
from collections import deque
from collections.abc import Callable
from typing import Protocol

from sim.model.engine import Engine
from sim.scenario.schema import SEVERITIES, ActivationRuleName
from sim.scenario.schema import Switch as SwitchRules

PEACE, EMERG = 0, 1
INF = math.inf


class ActivationRule(Protocol):
    name: str

    def start(self, switch: Switch) -> None: ...

    def on_trigger(self, switch: Switch, now: float) -> None: ...

    def reset(self) -> None:
        """The district stood down: forget what counted towards the last activation."""


class Threshold:
    """Activate when `count` reports of the trigger severity arrive within `window_min`, after the
    decision delay."""

    name = "threshold"

    def __init__(self, rules: SwitchRules):
        self.count, self.window = rules.threshold.count, rules.threshold.window_min
        self.delay = rules.decision_delay_min
        self.times: deque[float] = deque()

    def start(self, switch: Switch) -> None:
        pass

    def on_trigger(self, switch: Switch, now: float) -> None:
        if switch.phase != PEACE or switch.pending:
            return
        q = self.times
        q.append(now)
        while q and q[0] < now - self.window:
            q.popleft()
        if len(q) >= self.count:
            switch.order(self.delay)

    def reset(self) -> None:
        self.times.clear()


class Scheduled:
    """Activate at a set time (a forecast landfall, say), with no decision delay on top."""

    name = "scheduled"

    def __init__(self, rules: SwitchRules):
        self.at = rules.scheduled_min

    def start(self, switch: Switch) -> None:
        switch.eng.at(self.at, switch.activate)

    def on_trigger(self, switch: Switch, now: float) -> None:
        pass

    def reset(self) -> None:
        pass


class Never:
    """No rule fires: the baseline of a what-if study, or a drill that leaves activation to its injects."""

    name = "never"

    def __init__(self, rules: SwitchRules):
        pass

    def start(self, switch: Switch) -> None:
        pass

    def on_trigger(self, switch: Switch, now: float) -> None:
        pass

    def reset(self) -> None:
        pass


RULES: dict[str, type[ActivationRule]] = {r.name: r for r in (Threshold, Scheduled, Never)}

if set(RULES) != set(typing.get_args(ActivationRuleName)):  # pragma: no cover - a programming error
    raise ImportError(f"activation rules {sorted(RULES)} differ from the schema's "
                      f"{sorted(typing.get_args(ActivationRuleName))}")


def make_rule(rules: SwitchRules) -> ActivationRule:
    return RULES[rules.activation](rules)  # type: ignore[call-arg]


class Switch:
    """The phase, its epochs (each activation or deactivation starts a new one) and the quiet watcher.
    What activation and deactivation do to the forces is in the callbacks the replication passes in."""

    def __init__(self, eng: Engine, rules: SwitchRules, rule: ActivationRule,
                 on_activate: Callable[[], None], on_deactivate: Callable[[], None]):
        self.eng, self.rules, self.rule = eng, rules, rule
        self.on_activate, self.on_deactivate = on_activate, on_deactivate
        self.trigger_severity = SEVERITIES.index(rules.threshold.severity)
        self.phase = PEACE
        self.epoch = 0
        self.pending = False
        self.last_trigger = -INF
        self.activations: list[float] = []
        self.deactivations: list[float] = []

    def start(self) -> None:
        self.rule.start(self)

    def reported(self, severity: int, now: float) -> None:
        """A report reached the command: one of the trigger severity counts towards activation and keeps
        the quiet period from starting."""
        if severity >= self.trigger_severity:
            self.last_trigger = now
            self.rule.on_trigger(self, now)

    def order(self, delay: float) -> None:
        """The rule orders activation: it takes effect after the decision delay."""
        self.pending = True
        self.eng.note("activation_ordered")
        self.eng.soon(delay, self.activate)

    def by_hand(self, label: str) -> None:
        """An order by hand: activation at once, whatever the rule (logged even when already active)."""
        self.eng.note("activation_ordered", label)
        self.activate()

    def activate(self) -> None:
        if self.phase == EMERG:
            return
        self.phase = EMERG
        self.epoch += 1
        self.pending = False
        self.activations.append(self.eng.now)
        self.eng.note("activated")
        self.on_activate()
        if self.rules.deactivation_quiet_min is not None:
            self._watch(self.epoch)

    def _watch(self, epoch: int) -> None:
        """Stand down once no trigger report has come for the quiet period (checked when it would end)."""
        if epoch != self.epoch:
            return
        quiet = self.rules.deactivation_quiet_min
        assert quiet is not None
        due = max(self.last_trigger, self.activations[-1]) + quiet
        if self.eng.now >= due:
            self.deactivate()
        else:
            self.eng.at(due - self.eng.now, self._watch, epoch)

    def deactivate(self) -> None:
        self.phase = PEACE
        self.epoch += 1
        self.deactivations.append(self.eng.now)
        self.rule.reset()
        self.eng.note("deactivated")
        self.on_deactivate()
