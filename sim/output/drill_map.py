"""The drill report's animated map: frames of the grids' states every few minutes (computed here from
events.jsonl and embedded as JSON), the SVG of the grids and the script that plays the frames."""

from __future__ import annotations

import math
import re
from typing import Any

from sim.output.html import e
from sim.output.labels import Lang
from sim.scenario.drill import min_to_clock

#: grid states on the drill map, by priority (a grid shows its most urgent incident)
STATES = {1: ("open incident, waiting for responders", "事件待处置，等待人员"), 2: ("responders on site", "人员在现场"),
          3: ("closed recently", "刚办结")}
DISRUPTION = {"link_down": 1, "road_closed": 2}
WORDS: dict[str, tuple[str, str]] = {
    "status": ("{mode} \u00b7 {a} waiting \u00b7 {b} with responders on site \u00b7 {c} closed recently",
               "{mode} \u00b7 {a} 起等待 \u00b7 {b} 起人员在场 \u00b7 {c} 起刚办结"),
    "mode_e": ("EMERGENCY MODE", "应急状态"), "mode_p": ("peacetime", "平时状态"),
    "in_force": (" \u00b7 in force: ", " \u00b7 生效中："),
    "link_down": ("link down", "链路中断"), "road_closed": ("road closed", "道路封闭"), "unavailable": ("unavailable", "无法出勤"),
    "households": (" households", " 户"), "key": (", key area", "，重点区域"),
    "no_incident": ("no incident", "无事件"), "key_area": ("key area", "重点区域"),
    "link_legend": ("reporting link down", "上报链路中断"), "road_legend": ("road closed", "道路封闭"),
    "play": ("\u25b6 Play", "\u25b6 播放"), "pause": ("\u275a\u275a Pause", "\u275a\u275a 暂停"),
}


def t_(key: str, lang: Lang, **kw: Any) -> str:
    pair = WORDS[key]
    return (pair[0] if lang == "en" else pair[1]).format(**kw)


MAP_CSS = """
.controls{display:flex;align-items:center;gap:12px;margin:6px 0}
.controls button{font-size:1em;padding:3px 14px;min-width:90px}.controls input[type=range]{flex:1}
#clock{font:700 1.25em "MobsimCJK",ui-monospace,monospace;min-width:170px}
#map{width:100%;max-width:820px;height:auto;background:#fbfcfd;border:1px solid #d4d9e1}
#map .g{fill:#dfe4ea;stroke:#9aa5b1;stroke-width:.6}#map .g.key{stroke:#111;stroke-width:2.2}
#map .g.s1{fill:#e53935}#map .g.s2{fill:#fb8c00}#map .g.s3{fill:#43a047}
#map .dr{fill:none;stroke:none}#map .dr.d1{stroke:#1565c0;stroke-dasharray:3 2;stroke-width:2}
#map .dr.d2{stroke:#6d4c41;stroke-dasharray:1 2;stroke-width:2.4}#map .dr.d3{stroke:#6a1b9a;stroke-width:2.4}
#map .inc{display:none}#map .inc.s1,#map .inc.s2,#map .inc.s3{display:inline}#map .inc text{font:700 10px "MobsimCJK",sans-serif;fill:#111}
#map .inc path{stroke:#111;stroke-width:.7}#map .inc.s1 path{fill:#e53935}#map .inc.s2 path{fill:#fb8c00}
#map .inc.s3 path{fill:#43a047}#map .lab{font:9px "MobsimCJK",sans-serif;fill:#7b8794}
#map .mode{font:700 13px "MobsimCJK",sans-serif;fill:#b71c1c}
.legend span{display:inline-block;margin-right:14px;font-size:.85em}
.legend i{display:inline-block;width:12px;height:12px;border-radius:50%;margin-right:4px;vertical-align:-1px;
border:1px solid #9aa5b1}
#map-status{font-size:.9em;margin:4px 0}#map-log{font:.82em "MobsimCJK",ui-monospace,monospace;white-space:pre-wrap;
background:#f3f5f8;padding:6px;min-height:4.5em}
"""

JS_MAP = """
(function(){
var D=JSON.parse(document.getElementById('map-data').textContent),F=D.frames;
var svg=document.getElementById('map'),layer=document.getElementById('map-grids'),dots=svg.querySelectorAll('circle.g'),rings=svg.querySelectorAll('circle.dr');
var marks=svg.querySelectorAll('g.inc'),mode=document.getElementById('map-mode');
var slider=document.getElementById('slider'),play=document.getElementById('play');
var clock=document.getElementById('clock'),status=document.getElementById('map-status');
var log=document.getElementById('map-log');var cur=0,timer=null;
function show(i){i=Math.max(0,Math.min(F.length-1,i|0));var f=F[i],k;cur=i;
for(k=0;k<dots.length;k++){dots[k].setAttribute('class',dots[k].getAttribute('data-c'));
rings[k].setAttribute('class','dr');}
for(k=0;k<marks.length;k++){marks[k].setAttribute('class','inc');}
f.g.forEach(function(x){var c=dots[x[0]];c.setAttribute('class',c.getAttribute('data-c')+' s'+x[1]);
layer.appendChild(c);});
f.d.forEach(function(x){rings[x[0]].setAttribute('class','dr d'+x[1]);});
f.m.forEach(function(x){marks[x[0]].setAttribute('class','inc s'+x[1]);});
mode.style.display=f.e?'inline':'none';clock.textContent=f.c;status.textContent=f.s;
log.textContent=D.log.slice(Math.max(0,f.n-4),f.n).join('\\n');slider.value=i;}
function stop(){if(timer!==null){clearInterval(timer);timer=null;}play.textContent=D.play;}
function start(){if(cur>=F.length-1)show(0);play.textContent=D.pause;
timer=setInterval(function(){if(cur>=F.length-1){stop();return;}show(cur+1);},D.interval_ms);}
play.addEventListener('click',function(){if(timer===null)start();else stop();});
slider.addEventListener('input',function(){show(+slider.value);});
show(0);})();
"""


def _clock_label(t: float, start: float, lang: Lang = "en") -> str:
    return f"{min_to_clock(t, start)}  (+{t:.0f} {'min' if lang == 'en' else '分钟'})"


def _narrative_minutes(lines: list[str], start: float) -> list[float]:
    """The drill minute of each narrative line, from its clock (HH:MM, + days)."""
    out, last = [], 0.0
    for line in lines:
        m = re.match(r"^(\d{2}):(\d{2})(?: \(\+(\d+)d\))?", line)
        if m:
            last = int(m.group(1)) * 60 + int(m.group(2)) + 1440 * int(m.group(3) or 0) - start
        out.append(last)
    return out


def drill_frames(events: list[dict[str, Any]], grids: list[dict[str, str]], injects: list[dict[str, Any]],
                 start: float, horizon: float | None, narrative: list[str], max_frames: int = 240,
                 max_markers: int = 300, lang: Lang = "en") -> dict[str, Any]:
    """The map animation: a frame every few minutes with the grids that are not idle, the incident markers
    shown, the disrupted grids, the mode and a status line. Returns {frames, markers, log, step_min, ...}."""
    gidx = {g["grid"]: i for i, g in enumerate(grids)}
    inc: dict[int, dict[str, Any]] = {}
    toggles: list[tuple[float, int]] = []
    spans: dict[str, dict[str, Any]] = {}
    end = 0.0
    for r in events:
        t = float(r["t_min"])
        end = max(end, t)
        k = r["event"]
        if "incident" in r:
            rec = inc.setdefault(r["incident"], {"onset": t, "grid": r.get("grid"), "label": r.get("inject")})
            if k == "onset":
                rec["onset"] = t
            elif k in ("arrived", "on_spot"):
                rec.setdefault("arrival", t)
            elif k == "closed":
                rec["closed"] = t
        elif k == "activated":
            toggles.append((t, 1))
        elif k == "deactivated":
            toggles.append((t, 0))
        elif k in ("link_down", "road_closed", "unavailable") and r.get("inject"):
            spans[r["inject"]] = {"kind": k, "from": t, "until": None}
        elif k in ("link_restored", "road_opened", "available_again") and r.get("inject") in spans:
            spans[r["inject"]]["until"] = t
    end = max(end, horizon or 0.0, 1.0)
    step = 5 * max(1, math.ceil(end / (5 * max_frames)))
    recent = max(30, 2 * step)
    # where each disruption applies, as the model resolves it (towns, communities and grids named)
    by_id = {i.get("id"): i for i in injects if isinstance(i, dict)}
    area: dict[str, list[int]] = {}
    for label in spans:
        inj = by_id.get(label, {})
        towns, comms, names = set(inj.get("towns") or []), set(inj.get("communities") or []), set(inj.get("grids") or [])
        cells = [i for i, g in enumerate(grids) if g["grid"] in names or g.get("town") in towns
                 or g.get("community") in comms]
        area[label] = cells if (towns or comms or names) else list(range(len(grids)))
    order = sorted(inc, key=lambda i: (inc[i]["onset"], i))
    labelled = [i for i in order if inc[i]["label"]]
    shown = order if len(order) <= max_markers else labelled[:max_markers]
    marker_of = {i: k for k, i in enumerate(shown)}
    markers = [{"grid": gidx.get(inc[i]["grid"], -1), "label": inc[i]["label"] or f"#{i}"} for i in shown]
    log_t = _narrative_minutes(narrative, start)
    frames = []
    n_frames = math.floor(end / step) + 1
    if (n_frames - 1) * step < end:
        n_frames += 1
    for f in range(n_frames):
        t = min(f * step, end)
        state: dict[int, int] = {}
        marks = []
        counts = {1: 0, 2: 0, 3: 0}
        for i in order:
            rec = inc[i]
            if rec["onset"] > t + 1e-9:
                continue
            closed, arr = rec.get("closed"), rec.get("arrival")
            if closed is not None and closed <= t + 1e-9:
                if t >= closed + recent:
                    continue
                s = 3
            elif arr is not None and arr <= t + 1e-9:
                s = 2
            else:
                s = 1
            counts[s] += 1
            g = gidx.get(rec["grid"])
            if g is not None:
                state[g] = min(state.get(g, 9), s)
            if i in marker_of:
                marks.append([marker_of[i], s])
        dis: dict[int, int] = {}
        active = []
        for label, sp in spans.items():
            if sp["from"] <= t + 1e-9 and (sp["until"] is None or t < sp["until"] - 1e-9):
                active.append(f"{label} ({t_(sp['kind'], lang)})")
                if sp["kind"] in DISRUPTION:
                    for g in area[label]:
                        dis[g] = dis.get(g, 0) | DISRUPTION[sp["kind"]]
        mode = 0
        for tt, v in sorted(toggles):
            if tt <= t + 1e-9:
                mode = v
        status = t_("status", lang, mode=t_("mode_e" if mode else "mode_p", lang), a=counts[1], b=counts[2],
                    c=counts[3])
        if active:
            status += t_("in_force", lang) + ", ".join(active)
        frames.append({"t": t, "c": _clock_label(t, start, lang), "g": sorted([g, s] for g, s in state.items()),
                       "m": marks, "d": sorted([g, c] for g, c in dis.items()), "e": mode, "s": status,
                       "n": sum(1 for x in log_t if x <= t + 1e-9)})
    return {"frames": frames, "markers": markers, "log": narrative, "step_min": step, "recent_min": recent,
            "interval_ms": 300, "play": t_("play", lang), "pause": t_("pause", lang)}


def nearest_km(xs: list[float], ys: list[float]) -> float:
    """The median distance from a grid to its nearest neighbour (sizes the dots so they seldom overlap)."""
    import numpy as np

    if len(xs) < 2:
        return 1.0
    pts = np.column_stack([xs, ys])
    best = np.full(len(pts), np.inf)
    for k in range(0, len(pts), 256):  # in blocks: no n x n matrix for large territories
        dist = np.hypot(*(pts[k:k + 256, None, :] - pts[None, :, :]).transpose(2, 0, 1))
        dist[np.arange(dist.shape[0]), np.arange(k, k + dist.shape[0])] = np.inf
        best[k:k + 256] = dist.min(axis=1)
    best = best[np.isfinite(best) & (best > 0)]
    return float(np.median(best)) if best.size else 1.0


def map_svg(grids: list[dict[str, str]], markers: list[dict[str, Any]], lang: Lang = "en") -> str:
    if not grids:
        return '<svg id="map" viewBox="0 0 100 40"><text x="10" y="20">no grids.csv</text></svg>'
    xs = [float(g["x_km"]) for g in grids]
    ys = [float(g["y_km"]) for g in grids]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span_x, span_y = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
    width, pad = 800.0, 30.0
    scale = min((width - 2 * pad) / span_x, (0.8 * width - 2 * pad) / span_y)
    height = span_y * scale + 2 * pad + 20
    r = max(2.5, min(12.0, 0.45 * nearest_km(xs, ys) * scale))

    def pos(i: int) -> tuple[float, float]:
        return pad + (xs[i] - x0) * scale, pad + 20 + (y1 - ys[i]) * scale

    out = [f'<svg id="map" viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="grid map">']
    comms: dict[str, list[int]] = {}
    for i, g in enumerate(grids):
        comms.setdefault(g.get("community", ""), []).append(i)
    if len(comms) <= 40:
        for c, members in comms.items():
            cx = sum(pos(i)[0] for i in members) / len(members)
            cy = max(pos(i)[1] for i in members) + r + 10
            out.append(f'<text class="lab" x="{cx:.1f}" y="{cy:.1f}" text-anchor="middle">{e(c)}</text>')
    out.append('<g id="map-grids">')
    for i, g in enumerate(grids):
        x, y = pos(i)
        base = "g key" if g.get("key_area") not in ("0", "", None) else "g"
        out.append(f'<circle class="{base}" data-c="{base}" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}">'
                   f"<title>{e(g['grid'])} ({e(g.get('community'))}, {e(g.get('kind'))}, "
                   f"{e(g.get('households'))} {t_('households', lang)}{t_('key', lang) if 'key' in base else ''})</title></circle>")
    out.append("</g>")
    for i in range(len(grids)):
        x, y = pos(i)
        out.append(f'<circle class="dr" cx="{x:.1f}" cy="{y:.1f}" r="{r + 3:.1f}"/>')
    for m in markers:
        if m["grid"] < 0:
            out.append('<g class="inc"></g>')
            continue
        x, y = pos(m["grid"])
        x, y = x + r * 0.7, y - r * 0.7
        out.append(f'<g class="inc"><path d="M{x:.1f} {y:.1f}l5 -9h-10z"/>'
                   f'<text x="{x + 6:.1f}" y="{y - 6:.1f}">{e(m["label"])}</text></g>')
    out.append(f'<text id="map-mode" class="mode" x="{pad:.0f}" y="18" style="display:none">'
               f"{e(t_('mode_e', lang))}</text></svg>")
    return "".join(out)
