"""The peacetime-to-emergency switch and the response levels: activation rules as objects, the decision
delay, escalation, and the watcher that steps the district down after a quiet period.

Levels run from IV (the lowest response) to I; level 0 is peacetime. A rule is told when the run
starts and when a report of the trigger severity reaches the command, and declares a level through the
switch: `threshold` after enough such reports, `scheduled` at a set time, `warning` on a forecast ahead of
the hazard (a level at T − 24 h, a higher one as it nears), `never` not at all. An order by hand (a
drill's `activate` or `level` inject) goes straight to the switch under any rule. Once no trigger report
has come for `deactivation_quiet_min` since the last one or the last declaration, the level steps down one
at a time, every `step_down_min`, to peacetime (never before a forecast hazard is over). The registry
`RULES` is the one list of names; the
schema's `ActivationRuleName` must name exactly these.
"""

from __future__ import annotations

import math
import typing
from collections import deque
from collections.abc import Callable
from typing import Protocol

from sim.model.engine import Engine
from sim.scenario.operations import LEVELS, Level, LevelName
from sim.scenario.schema import SEVERITIES, ActivationRuleName, Scenario
from sim.scenario.schema import Switch as SwitchRules

PEACE, EMERG = 0, 1
INF = math.inf


def level_number(name: LevelName) -> int:
    """IV → 1 ... I → 4 (0 is peacetime)."""
    return LEVELS.index(name) + 1


def level_name(k: int) -> str:
    return LEVELS[k - 1] if k else "none"


def level_rules(sc: Scenario, k: int) -> Level:
    """The rules of level k (1 = IV ... 4 = I)."""
    return sc.levels[LEVELS[k - 1]]


class ActivationRule(Protocol):
    name: str
    #: no stepping down before this minute (a forecast's hazard is not over yet)
    hold_until: float

    def start(self, switch: Switch) -> None: ...

    def on_trigger(self, switch: Switch, now: float) -> None: ...

    def reset(self) -> None:
        """The district stood down: forget what counted towards the last activation."""


class Threshold:
    """Declare `threshold.level` when `count` reports of the trigger severity arrive within `window_min`,
    after the decision delay."""

    name = "threshold"
    hold_until = -INF

    def __init__(self, sc: Scenario):
        rules = sc.switch
        self.count, self.window = rules.threshold.count, rules.threshold.window_min
        self.delay = rules.decision_delay_min
        self.level = level_number(rules.threshold.level)
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
            switch.order(self.delay, self.level)

    def reset(self) -> None:
        self.times.clear()


class Scheduled:
    """Declare `scheduled_level` at a set time, with no decision delay on top."""

    name = "scheduled"
    hold_until = -INF

    def __init__(self, sc: Scenario):
        self.at, self.level = sc.switch.scheduled_min, level_number(sc.switch.scheduled_level)

    def start(self, switch: Switch) -> None:
        switch.eng.at(self.at, switch.declare, self.level)

    def on_trigger(self, switch: Switch, now: float) -> None:
        pass

    def reset(self) -> None:
        pass


class Warning:
    """A forecast warning: each step's level declared its lead time before the hazard's onset (a step
    whose time has passed at the start is declared at once)."""

    name = "warning"

    def __init__(self, sc: Scenario):
        fc = sc.switch.forecast
        hz = sc.incidents.hazards[fc.hazard] if fc.hazard < len(sc.incidents.hazards) else None
        self.steps = ([] if hz is None else
                      [(max(0.0, hz.start_min - s.before_onset_min), level_number(s.level)) for s in fc.steps])
        self.hold_until = hz.start_min + hz.duration_min if hz is not None else -INF

    def start(self, switch: Switch) -> None:
        for t, level in self.steps:
            switch.eng.soon(t, switch.declare, level)

    def on_trigger(self, switch: Switch, now: float) -> None:
        pass

    def reset(self) -> None:
        pass


class Never:
    """No rule fires: the baseline of a what-if study, or a drill that leaves activation to its injects."""

    name = "never"
    hold_until = -INF

    def __init__(self, sc: Scenario):
        pass

    def start(self, switch: Switch) -> None:
        pass

    def on_trigger(self, switch: Switch, now: float) -> None:
        pass

    def reset(self) -> None:
        pass


RULES: dict[str, type[ActivationRule]] = {r.name: r for r in (Threshold, Scheduled, Warning, Never)}

if set(RULES) != set(typing.get_args(ActivationRuleName)):  # pragma: no cover - a programming error
    raise ImportError(f"activation rules {sorted(RULES)} differ from the schema's "
                      f"{sorted(typing.get_args(ActivationRuleName))}")


def make_rule(sc: Scenario) -> ActivationRule:
    return RULES[sc.switch.activation](sc)  # type: ignore[call-arg]


class Switch:
    """The level (0 peacetime, 1 = IV ... 4 = I), its epochs (each activation and each return to peacetime
    starts one) and the quiet watcher. What a level change does to the forces and tasks is the callback's
    `on_level(old, new)`."""

    def __init__(self, eng: Engine, rules: SwitchRules, rule: ActivationRule,
                 on_level: Callable[[int, int], None]):
        self.eng, self.rules, self.rule, self.on_level = eng, rules, rule, on_level
        self.trigger_severity = SEVERITIES.index(rules.threshold.severity)
        self.level = 0
        self.phase = PEACE
        self.epoch = 0
        self.pending = False
        self.last_trigger = -INF
        self.last_change = -INF
        self.watching = -1  # the epoch whose quiet watcher is scheduled
        self.stepping = False  # stepping down in this epoch
        self.activations: list[float] = []
        self.deactivations: list[float] = []
        self.levels: list[tuple[float, int]] = []  # (minute, level) at every change

    def start(self) -> None:
        self.rule.start(self)

    def reported(self, severity: int, now: float) -> None:
        """A report reached the command: one of the trigger severity counts towards activation and keeps
        the district from stepping down."""
        if severity >= self.trigger_severity:
            self.last_trigger = now
            self.rule.on_trigger(self, now)

    def order(self, delay: float, level: int) -> None:
        """The rule orders activation: it takes effect after the decision delay."""
        self.pending = True
        self.eng.note("activation_ordered")
        self.eng.soon(delay, self.declare, level)

    def by_hand(self, label: str, level: int | None = None) -> None:
        """An order by hand: the level (the highest, I, if none is named) at once, whatever the rule."""
        self.eng.note("activation_ordered", label)
        self.declare(level or len(LEVELS), force=level is not None)

    def declare(self, level: int, force: bool = False) -> None:
        """Raise the response to `level`; a lower one than in force changes nothing unless forced (a
        drill's `level` inject may step down)."""
        self.pending = False
        if level == self.level or (level < self.level and not force):
            return
        old = self.level
        self.level = level
        if level > old:
            self.stepping = False
        now = self.eng.now
        self.last_change = now
        self.levels.append((now, level))
        if old == 0:
            self.phase = EMERG
            self.epoch += 1
            self.activations.append(now)
            self.eng.note("activated")
        if level:
            self.eng.note("level_declared", level_name(level))
        self.on_level(old, level)
        if level == 0:
            self._stood_down()
        elif self.rules.deactivation_quiet_min is not None and self.watching != self.epoch:
            self.watching = self.epoch
            self.eng.at(self.rules.deactivation_quiet_min, self._watch, self.epoch)

    def _watch(self, epoch: int) -> None:
        """Step down once no trigger report has come for the quiet period (checked when it would end),
        then one level every `step_down_min`, for as long as it stays quiet."""
        if epoch != self.epoch or self.level == 0:
            return
        quiet = self.rules.deactivation_quiet_min
        assert quiet is not None
        due = max(self.last_trigger, self.last_change, self.rule.hold_until) + quiet
        if self.stepping:
            due = max(self.last_trigger + quiet, self.last_change + self.rules.step_down_min)
        now = self.eng.now
        if now < due:
            self.eng.at(due - now, self._watch, epoch)
            return
        new = self.level - 1 if self.rules.step_down_min > 0 else 0
        self.stepping = True
        self.declare(new, force=True)
        if new > 0:
            self.eng.at(self.rules.step_down_min, self._watch, epoch)

    def _stood_down(self) -> None:
        now = self.eng.now
        self.phase = PEACE
        self.epoch += 1
        self.stepping = False
        self.deactivations.append(now)
        self.rule.reset()
        self.eng.note("deactivated")
