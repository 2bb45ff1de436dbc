"""The drill timeline: a Gantt chart of incidents (stage by stage) and of the teams that served them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from sim.files import save_figure  # noqa: E402
from sim.output.labels import Lang, term  # noqa: E402
from sim.output.messages import pick  # noqa: E402
from sim.output.plots import plot_lang, styled  # noqa: E402
from sim.scenario.drill import Drill, min_to_clock  # noqa: E402

SAVE: dict[str, Any] = {"dpi": 110, "metadata": {"Software": None}}
STAGES = (("onset", "discovered", "#bbbbbb", ("to discovery", "待发现")),
          ("discovered", "reported", "#f2a541", ("reporting", "上报")),
          ("reported", "dispatched", "#e4572e", ("to dispatch", "待派遣")),
          ("dispatched", "arrived", "#8e6c8a", ("travel", "路途")),
          ("arrived", "closed", "#17bebb", ("on site", "现场处置")))


def timeline(path: Path, records: list[dict[str, Any]], drill: Drill, max_incidents: int = 40,
             lang: Lang = "en") -> None:
    with styled():
        _timeline(path, records, drill, max_incidents, plot_lang(lang))


def _timeline(path: Path, records: list[dict[str, Any]], drill: Drill, max_incidents: int, lang: Lang) -> None:
    first: dict[int, dict[str, float]] = {}
    label: dict[int, str] = {}
    busy: dict[str, list[tuple[float, float]]] = {}
    open_jobs: dict[tuple[int, Any], float] = {}
    end = max((r["t_min"] for r in records), default=1.0)
    for r in records:
        i = r.get("incident")
        if i is None:
            continue
        stages = first.setdefault(i, {})
        stages.setdefault(r["event"], r["t_min"])
        label[i] = r.get("inject") or f"#{i}"
        if r["event"] == "dispatched":
            open_jobs[(i, r.get("unit", r.get("members")))] = r["t_min"]
            busy.setdefault(r["force"], [])
        if r["event"] == "closed":
            for (j, who), t0 in list(open_jobs.items()):
                if j == i:
                    force = next((x["force"] for x in records if x.get("incident") == i and x["event"] == "dispatched"
                                  and x.get("unit", x.get("members")) == who), "")
                    busy.setdefault(force, []).append((t0, r["t_min"]))
                    del open_jobs[(j, who)]
    shown = sorted(first, key=lambda i: (label[i].startswith("#"), first[i].get("onset", 0)))[:max_incidents]
    rows = len(shown) + len(busy)
    fig, ax = plt.subplots(figsize=(10, 0.32 * rows + 1.8))
    y = 0
    ticks, names = [], []
    for i in reversed(shown):
        st = first[i]
        for a, b, colour, _ in STAGES:
            if a in st:
                t1 = st.get(b, end if b == "closed" else None)
                if t1 is not None and t1 > st[a]:
                    ax.barh(y, t1 - st[a], left=st[a], color=colour, height=0.6)
        ticks.append(y)
        names.append(pick(lang, f"incident {label[i]}", f"事件 {label[i]}"))
        y += 1
    for force, spans in sorted(busy.items()):
        for t0, t1 in spans:
            ax.barh(y, t1 - t0, left=t0, color="#2e86ab", alpha=0.35, height=0.6)
        ticks.append(y)
        who = term("force", force, lang) if force else force
        names.append(pick(lang, f"{who} ({len(spans)} jobs)", f"{who}（{len(spans)} 项）"))
        y += 1
    for inj in drill.injects:
        if inj.event != "incident":
            t = drill.at_min(inj)
            ax.axvline(t, color="black", lw=0.6, ls=":")
            ax.text(t, y - 0.4, f" {inj.id}", fontsize=7, va="top")
    xt = [t for t in range(0, int(end) + 30, 30)]
    ax.set_xticks(xt, [min_to_clock(t, drill.start_min)[:5] for t in xt], fontsize=7, rotation=45)
    ax.set_yticks(ticks, names, fontsize=7)
    ax.set_xlim(0, end)
    ax.set_xlabel(pick(lang, "drill clock", "演练时钟"))
    ax.grid(alpha=0.3, axis="x")
    handles = [Patch(color=c, label=lab[lang == "zh"]) for _, _, c, lab in STAGES] + [
        Patch(color="#2e86ab", alpha=0.35, label=pick(lang, "team at work", "队伍作业"))]
    ax.legend(handles=handles, fontsize=7, loc="lower right")
    ax.set_title(pick(lang, f"Drill {drill.name}: incidents and teams", f"演练 {drill.name}：事件与队伍"), fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, **SAVE)
    plt.close(fig)
