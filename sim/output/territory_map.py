"""`mobsim map SCENARIO`: the territory drawn before any run, as one self-contained page: every grid at its
position coloured by town, key areas outlined, each hazard's footprint ringed, towns and communities
labelled, and a table per town. The footprint follows the rule the model applies (the hazard's towns and
grids, all grids when it names none, only key areas with `key_areas_only`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.files import atomic_write_text
from sim.model import build_model
from sim.output.drill_map import nearest_km
from sim.output.html import e, page, table
from sim.output.labels import Lang, term
from sim.output.messages import pick
from sim.scenario import LoadedScenario
from sim.scenario.schema import GRID_KINDS, Scenario

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7", "#9c755f", "#bab0ac", "#e15759")
HAZARD = ("#d62728", "#9467bd", "#8c564b", "#17becf")
CSS = """
#territory{width:100%;max-width:900px;height:auto;background:#fbfcfd;border:1px solid #d4d9e1}
#territory .lab{font-size:9px;fill:#52606d}#territory .town{font-size:13px;font-weight:700;fill:#1d2330;
paint-order:stroke;stroke:#fff;stroke-width:3px}
.legend span{display:inline-block;margin-right:14px;font-size:.85em}
.legend i{display:inline-block;width:12px;height:12px;border-radius:50%;margin-right:4px;vertical-align:-1px}
"""


def footprints(sc: Scenario, grid_ids: list[str], town_of: np.ndarray, town_ids: list[str], key: np.ndarray) -> list[np.ndarray]:
    """For each hazard, the grids it strikes (as `model.incidents` picks them)."""
    gidx = {g: i for i, g in enumerate(grid_ids)}
    tidx = {t: i for i, t in enumerate(town_ids)}
    out = []
    for hz in sc.incidents.hazards:
        mask = np.zeros(len(grid_ids), dtype=bool)
        for t in hz.towns:
            mask |= town_of == tidx[t]
        for g in hz.grids:
            mask[gidx[g]] = True
        if not mask.any():
            mask[:] = True
        if hz.key_areas_only and (mask & key).any():
            mask &= key
        out.append(mask)
    return out


def map_page(loaded: LoadedScenario, lang: Lang) -> str:
    sc = loaded.scenario
    terr = build_model(loaded).territory
    xs, ys = terr.x_km.astype(float), terr.y_km.astype(float)
    n = terr.n_grids
    width, pad = 900.0, 34.0
    x0, x1, y0, y1 = float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max())
    scale = min((width - 2 * pad) / max(x1 - x0, 1e-6), (0.75 * width - 2 * pad) / max(y1 - y0, 1e-6))
    height = (y1 - y0) * scale + 2 * pad
    r = max(2.5, min(11.0, 0.42 * nearest_km(list(xs), list(ys)) * scale))

    def pos(i: int) -> tuple[float, float]:
        return pad + (xs[i] - x0) * scale, pad + (y1 - ys[i]) * scale

    hz = footprints(sc, terr.grid_ids, terr.grid_town, terr.town_ids, terr.key_area)
    svg = [f'<svg id="territory" viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="territory">']
    for h, mask in enumerate(hz):
        for i in np.flatnonzero(mask).tolist():
            x, y = pos(i)
            svg.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r + 3 + 2.5 * h:.1f}" fill="none" '
                       f'stroke="{HAZARD[h % len(HAZARD)]}" stroke-width="1.6" stroke-opacity=".7"/>')
    for i in range(n):
        x, y = pos(i)
        colour = PALETTE[int(terr.grid_town[i]) % len(PALETTE)]
        k = bool(terr.key_area[i])
        tip = (f"{terr.grid_ids[i]} ({terr.community_ids[terr.grid_comm[i]]}, {term('kind', GRID_KINDS[terr.kind[i]], lang)}, "
               f"{int(terr.households[i])} {pick(lang, 'households', '户')}{pick(lang, ', key area', '，重点区域') if k else ''})")
        svg.append(f'<circle class="g" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}" '
                   f'stroke="{"#111" if k else "#fff"}" stroke-width="{2.2 if k else 0.6}"><title>{e(tip)}</title></circle>')
    comms = len(terr.community_ids)
    if comms <= 60:
        for c in range(comms):
            m = np.flatnonzero(terr.grid_comm == c).tolist()
            if len(m):
                cx = float(np.mean([pos(i)[0] for i in m]))
                cy = max(pos(i)[1] for i in m) + r + 9
                svg.append(f'<text class="lab" x="{cx:.1f}" y="{cy:.1f}" text-anchor="middle">{e(terr.community_ids[c])}</text>')
    for t, name in enumerate(terr.town_ids):
        m = np.flatnonzero(terr.grid_town == t).tolist()
        if len(m):
            cx, cy = float(np.mean([pos(i)[0] for i in m])), float(np.mean([pos(i)[1] for i in m]))
            svg.append(f'<text class="town" x="{cx:.1f}" y="{cy:.1f}" text-anchor="middle">{e(name)}</text>')
    svg.append("</svg>")
    legend = "".join(f'<span><i style="background:{PALETTE[t % len(PALETTE)]}"></i>{e(name)}</span>'
                     for t, name in enumerate(terr.town_ids[:20]))
    legend += f'<span><i style="background:#ccc;border:2px solid #111"></i>{pick(lang, "key area", "重点区域")}</span>'
    legend += "".join(f'<span><i style="background:none;border:2px solid {HAZARD[h % len(HAZARD)]}"></i>'
                      f'{e(sc.incidents.hazards[h].name)} ({pick(lang, "footprint", "影响范围")})</span>' for h in range(len(hz)))
    rows = []
    for t, name in enumerate(terr.town_ids):
        m = terr.grid_town == t
        rows.append([e(name), str(int(m.sum())), str(len(set(terr.grid_comm[m].tolist()))), f"{int(terr.households[m].sum()):,}",
                     str(int((m & terr.key_area).sum())),
                     e(", ".join(sc.incidents.hazards[h].name for h, f in enumerate(hz) if (f & m).any()) or "\u2014")])
    head = [pick(lang, x, y) for x, y in (("town", "镇（街道）"), ("grids", "网格"), ("communities", "村（社区）"),
                                           ("households", "户数"), ("key-area grids", "重点区域网格"), ("hazards", "灾害"))]
    hz_rows = [[e(h.name), e(f"{h.start_min:g}"), e(f"{h.duration_min:g}"), e(f"{h.rate_per_hour:g}"), str(int(f.sum()))]
               for h, f in zip(sc.incidents.hazards, hz)]
    hz_head = [pick(lang, x, y) for x, y in (("hazard", "灾害"), ("starts (min)", "开始（分钟）"), ("lasts (min)", "持续（分钟）"),
                                              ("incidents per hour", "每小时事件"), ("grids struck", "受影响网格"))]
    intro = pick(lang, f"{n} grids in {len(terr.town_ids)} towns and {comms} communities; hover a grid for its name, "
                       "kind and households.", f"{len(terr.town_ids)} 个镇（街道）、{comms} 个村（社区）共 {n} 个网格；"
                 "鼠标停在网格上可见名称、类型和户数。")
    sections = [("map", pick(lang, "Territory", "辖区"), f'<p class="muted">{e(intro)}</p>{"".join(svg)}<div class="legend">{legend}</div>', ""),
                ("towns", pick(lang, "Towns", "镇（街道）"), table(head, rows, "kpi-table", numeric=(1, 2, 3, 4)), "")]
    if hz_rows:
        sections.append(("hazards", pick(lang, "Hazards", "灾害"), table(hz_head, hz_rows, "hazard-table", numeric=(1, 2, 3, 4)), ""))
    sub = pick(lang, f"scenario {loaded.path}: before any run", f"情景 {loaded.path}：运行之前")
    return page(pick(lang, f"mobsim map: {sc.name}", f"mobsim 辖区图：{sc.name}"), sub, sections, lang=lang,
                description=sc.description, css=CSS)


def write_map(loaded: LoadedScenario, out: str | Path, lang: Lang | None = None) -> Path:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, map_page(loaded, lang or loaded.scenario.lang))
    return path
