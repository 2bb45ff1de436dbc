"""The reporting chain: how an incident is found and how its report reaches the command.

Pure functions of the rules, the time and the incident's own random draws, testable without SimPy:
discovery by the first of three channels (patrol, informant, hotline); then compliance, must-report
classes and severities (one direct hop), or the route's hops (grid → each level named in `route` →
command) with batching; a temporary branch's short line; a reporting link that is down holds the report
until it is back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sim.scenario.schema import CLASSES, SEVERITIES, Discovery, ReportingRules

CHANNELS = ("patrol", "informant", "hotline")
PATROL, INFORMANT, HOTLINE = 0, 1, 2
INF = math.inf


@dataclass(frozen=True)
class Chain:
    """One phase's reporting rules, in the form the model uses."""

    hops: tuple[str, ...]
    hop_delay: float
    direct_delay: float
    batching: float
    compliance: float
    must_classes: frozenset[int]
    must_severities: frozenset[int]
    decision_delay: float
    pre_dispatch_factor: float

    @classmethod
    def of(cls, r: ReportingRules) -> Chain:
        return cls(hop_names(r.route), r.hop_delay_min, r.direct_delay_min, r.batching_interval_min, r.compliance,
                   frozenset(CLASSES.index(c) for c in r.must_report),
                   frozenset(SEVERITIES.index(s) for s in r.must_report_severities),
                   r.decision_delay_min, r.pre_dispatch_factor)


def hop_names(route: Sequence[str]) -> tuple[str, ...]:
    """The hops of a route: `[community, town]` is grid → community → town → command (three hops)."""
    levels = ("grid", *route, "command")
    return tuple(f"{a} → {b}" for a, b in zip(levels, levels[1:]))


def discovery(d: Discovery, emergency: bool, coverage: float, party_cover: float, e_patrol: float,
              e_informant: float, e_hotline: float, u_hotline: float) -> tuple[float, int]:
    """Delay to discovery and the channel that found it: the first of patrol (revisit time over patrol
    coverage, raised in an emergency, plus party members in place), an informant, or the hotline (which a
    share `hotline_share` of incidents reach). `e_*` are standard exponential draws, `u_hotline` uniform."""
    cov = coverage * (d.emergency_patrol_factor if emergency else 1.0) + party_cover
    patrol = e_patrol * d.patrol_revisit_min / cov if cov > 0 else INF
    informant = e_informant * d.informant_mean_min
    hotline = e_hotline * d.hotline_mean_min if u_hotline < d.hotline_share else INF
    if patrol <= informant and patrol <= hotline:
        return patrol, PATROL
    if informant <= hotline:
        return informant, INFORMANT
    return hotline, HOTLINE


def must_report(chain: Chain, cls: int, severity: int) -> bool:
    return cls in chain.must_classes or severity in chain.must_severities


def is_reported(chain: Chain, must: bool, u: float) -> bool:
    """Must-report incidents always are; others with probability `compliance` (u is a uniform draw)."""
    return must or u < chain.compliance


def report_delay(chain: Chain, must: bool, now: float, first_factor: float, hops_factor: float,
                 branch_delay: float | None, link_until: float) -> float:
    """Minutes from discovery to the command's receiving the report.

    `first_factor` scales the one direct hop of a must-report; `hops_factor` is the sum of the route's hop
    factors (one per hop, mean one each). A temporary branch on site (`branch_delay`) replaces the chain;
    batching holds the report to the next multiple of the interval; a link down holds it until
    `link_until`."""
    if branch_delay is not None:
        delay = branch_delay
    elif must:
        delay = chain.direct_delay * first_factor
    else:
        delay = chain.hop_delay * hops_factor if chain.hop_delay else 0.0
        b = chain.batching
        if b > 0:
            delay += math.ceil(now / b) * b - now
    if link_until > now:
        delay += link_until - now
    return delay


def route(chain: Chain, cls: int, severity: int, u: float, now: float, first_factor: float, hops_factor: float,
          branch_delay: float | None, link_until: float) -> float | None:
    """The whole decision for one discovered incident: minutes until the command has the report, or None
    when it is never reported (not a must-report, and its compliance draw `u` fails)."""
    must = cls in chain.must_classes or severity in chain.must_severities
    if not must and u >= chain.compliance:
        return None
    return report_delay(chain, must, now, first_factor, hops_factor, branch_delay, link_until)
