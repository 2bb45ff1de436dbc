"""`mobsim report`: one self-contained HTML page for a run, sweep or drill folder.

The page needs no network: plots are embedded as base64 `data:` URIs, the CSS and the little JavaScript are
inline, and a Content-Security-Policy forbids fetching anything else. It is built from the folder's files
alone, so the same folder always gives the same bytes. A drill page adds an animated map of the grids: the
frames (every few minutes of the drill) are computed here from events.jsonl and embedded as JSON.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError
from sim.files import MAX_OUTPUT_BYTES, FileRefused, atomic_write_text, read_bytes_limited, read_text_limited
from sim.scenario.drill import clock_to_min, min_to_clock

#: the run plots, in the order shown, with a caption each (other PNGs follow, by name)
RUN_PLOTS = {
    "response_ecdf.png": "Response time (first arrival minus onset) by phase, class targets marked",
    "mobilisation.png": "Share of each force in place over time (mean over replications)",
    "response_map.png": "Grids coloured by median response time, key areas circled",
}
#: grid states on the drill map, by priority (a grid shows its most urgent incident)
STATES = {1: "open incident, waiting for responders", 2: "responders on site", 3: "closed recently"}
DISRUPTION = {"link_down": 1, "road_closed": 2}
STAGES = (("discovered", "discovered_min"), ("reported", "reported_min"), ("dispatched", "dispatched_min"),
          ("first arrival", "first_arrival_min"), ("staffed", "staffed_min"), ("closed", "closed_min"))

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9;
line-height:1.4}
header{background:#1f3a5f;color:#fff;padding:14px 24px}header h1{margin:0;font-size:1.45em}
header p{margin:4px 0 0;opacity:.85}
nav{padding:6px 24px;background:#e8ecf2;font-size:.9em}nav a{margin-right:14px;color:#1f3a5f}
main{padding:8px 24px 40px;max-width:1200px}
section{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:10px 16px;margin:14px 0}
h2{font-size:1.15em;margin:4px 0 10px;color:#1f3a5f}
table{border-collapse:collapse;font-size:.86em;margin:6px 0}
th,td{border:1px solid #d4d9e1;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef1f6;position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafbfc}
.scroll{max-height:560px;overflow:auto}
.flags{border-left:6px solid #2e7d32;background:#edf7ee}
.flags.warn{border-left-color:#c62828;background:#fdecea}
.flags.warn h2{color:#b71c1c}.flags li{font-weight:600}
tr.miss td{background:#fdd9d5 !important}td.bad{color:#b71c1c;font-weight:700}td.big{outline:2px solid #e65100}
.callout{border-left:4px solid #e65100;background:#fff4e5;padding:6px 12px;margin:8px 0}
figure{display:inline-block;margin:6px 12px 12px 0;vertical-align:top}
figure img{max-width:100%;border:1px solid #dde2ea}figcaption{font-size:.85em;color:#555}
pre{background:#f3f5f8;padding:8px;overflow:auto;font-size:.82em;max-height:520px}
details summary{cursor:pointer;font-weight:600;margin:4px 0}
.muted{color:#666;font-size:.88em}
.controls{display:flex;align-items:center;gap:12px;margin:6px 0}
.controls button{font-size:1em;padding:3px 14px;min-width:90px}.controls input[type=range]{flex:1}
#clock{font:700 1.25em ui-monospace,monospace;min-width:170px}
#map{width:100%;max-width:820px;height:auto;background:#fbfcfd;border:1px solid #d4d9e1}
#map .g{fill:#dfe4ea;stroke:#9aa5b1;stroke-width:.6}#map .g.key{stroke:#111;stroke-width:2.2}
#map .g.s1{fill:#e53935}#map .g.s2{fill:#fb8c00}#map .g.s3{fill:#43a047}
#map .dr{fill:none;stroke:none}#map .dr.d1{stroke:#1565c0;stroke-dasharray:3 2;stroke-width:2}
#map .dr.d2{stroke:#6d4c41;stroke-dasharray:1 2;stroke-width:2.4}#map .dr.d3{stroke:#6a1b9a;stroke-width:2.4}
#map .inc{display:none}#map .inc.s1,#map .inc.s2,#map .inc.s3{display:inline}#map .inc text{font:700 10px sans-serif;fill:#111}
#map .inc path{stroke:#111;stroke-width:.7}#map .inc.s1 path{fill:#e53935}#map .inc.s2 path{fill:#fb8c00}
#map .inc.s3 path{fill:#43a047}#map .lab{font:9px sans-serif;fill:#7b8794}
#map .mode{font:700 13px sans-serif;fill:#b71c1c}
.legend span{display:inline-block;margin-right:14px;font-size:.85em}
.legend i{display:inline-block;width:12px;height:12px;border-radius:50%;margin-right:4px;vertical-align:-1px;
border:1px solid #9aa5b1}
#map-status{font-size:.9em;margin:4px 0}#map-log{font:.82em ui-monospace,monospace;white-space:pre-wrap;
background:#f3f5f8;padding:6px;min-height:4.5em}
"""

JS_FILTER = """
(function(){var f=document.getElementById('kpi-filter'),t=document.getElementById('kpi-table');
if(!f||!t)return;f.addEventListener('input',function(){var q=f.value.toLowerCase();
var rows=t.tBodies[0].rows;for(var i=0;i<rows.length;i++){rows[i].style.display=
rows[i].cells[0].textContent.toLowerCase().indexOf(q)>=0?'':'none';}});})();
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
function stop(){if(timer!==null){clearInterval(timer);timer=null;}play.textContent='\\u25b6 Play';}
function start(){if(cur>=F.length-1)show(0);play.textContent='\\u275a\\u275a Pause';
timer=setInterval(function(){if(cur>=F.length-1){stop();return;}show(cur+1);},D.interval_ms);}
play.addEventListener('click',function(){if(timer===null)start();else stop();});
slider.addEventListener('input',function(){show(+slider.value);});
show(0);})();
"""


# --------------------------------------------------------------------------- helpers


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _num(x: Any) -> str:
    """A number for a table: undefined is a dash; large values lose decimals."""
    if x is None or x == "":
        return "\u2014"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return "\u2014"
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v)}"
    a = abs(v)
    return f"{v:.0f}" if a >= 1000 else f"{v:.1f}" if a >= 10 else f"{v:.3g}"


def _kpi_num(name: str, x: Any) -> str:
    """Shares in percent, everything else as a number."""
    if name.endswith("_share") and x is not None and x != "":
        try:
            v = float(x)
        except (TypeError, ValueError):
            return str(x)
        return f"{100 * v:.1f} %" if math.isfinite(v) else "\u2014"
    return _num(x)


def _read_json(path: Path) -> Any:
    return json.loads(read_text_limited(path))


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    return list(csv.DictReader(io.StringIO(read_text_limited(path), newline="")))


def _read_text(path: Path) -> str | None:
    return read_text_limited(path) if path.is_file() else None


def _attr(name: str, value: str) -> str:
    return f' {name}="{_e(value)}"' if value else ""


def _table(head: Iterable[str], rows: Iterable[Iterable[Any]], table_id: str = "",
           row_classes: list[str] | None = None, numeric: Iterable[int] = ()) -> str:
    """An HTML table. A cell is HTML (escaped by the caller) or (HTML, CSS class)."""
    nums = set(numeric)
    out = [f"<table{_attr('id', table_id)}><thead><tr>"]
    out += [f"<th>{_e(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for k, row in enumerate(rows):
        out.append(f"<tr{_attr('class', row_classes[k] if row_classes else '')}>")
        for j, cell in enumerate(row):
            text, cls = cell if isinstance(cell, tuple) else (cell, "")
            cls = " ".join(c for c in ("num" if j in nums else "", cls) if c)
            out.append(f"<td{_attr('class', cls)}>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _section(sid: str, title: str, body: str, cls: str = "") -> str:
    return f'<section id="sec-{sid}"{_attr("class", cls)}><h2>{_e(title)}</h2>{body}</section>'


def _png(path: Path, caption: str) -> str:
    data = base64.b64encode(read_bytes_limited(path, MAX_OUTPUT_BYTES, "PNG")).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{_e(path.name)}">'
            f"<figcaption>{_e(path.name)}: {_e(caption)}</figcaption></figure>")


def _plots(d: Path, known: dict[str, str], patterns: tuple[str, ...] = ("*.png",)) -> str:
    names = [n for n in known if (d / n).is_file()]
    for pat in patterns:
        names += sorted(p.name for p in d.glob(pat) if p.name not in names)
    if not names:
        return '<p class="muted">No plots in this folder.</p>'
    return "".join(_png(d / n, known.get(n, n.rsplit(".", 1)[0].replace("_", " "))) for n in names)


def _value_html(v: Any) -> str:
    if isinstance(v, (dict, list)):
        text = json.dumps(v, indent=2, ensure_ascii=False)
        if len(text) > 300:
            return f"<details><summary>{len(v)} item(s)</summary><pre>{_e(text)}</pre></details>"
        return f"<pre>{_e(text)}</pre>"
    return _e(v)


def _manifest(data: dict[str, Any] | None, name: str) -> str:
    if not data:
        return f'<p class="muted">No {_e(name)} in this folder.</p>'
    rows = [[_e(k), _value_html(v)] for k, v in data.items()]
    return f'<p class="muted">{_e(name)}</p>' + _table(("key", "value"), rows, "manifest")


def _yaml_details(d: Path, names: Iterable[str], what: str) -> str:
    parts = []
    for n in names:
        text = _read_text(d / n)
        if text is not None:
            parts.append(f"<details><summary>{_e(what)} ({_e(n)})</summary><pre>{_e(text)}</pre></details>")
    return "".join(parts) or f'<p class="muted">No {_e(what)} in this folder.</p>'


def _page(title: str, subtitle: str, sections: list[tuple[str, str, str, str]], script: str = "",
          data: str = "") -> str:
    """The whole document. sections: (id, title, body HTML, CSS class); data: extra elements before the script."""
    nav = "".join(f'<a href="#sec-{sid}">{_e(t)}</a>' for sid, t, _b, _c in sections)
    body = "".join(_section(sid, t, b, c) for sid, t, b, c in sections)
    csp = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
           "connect-src 'none'; font-src 'none'; form-action 'none'; base-uri 'none'")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"<header><h1>{_e(title)}</h1><p>{_e(subtitle)}</p></header>\n<nav>{nav}</nav>\n<main>\n{body}\n</main>\n"
            f"{data}<script>{script}</script>\n</body>\n</html>\n")


# --------------------------------------------------------------------------- folder kinds


def folder_kind(run_dir: str | Path) -> str:
    """'run', 'sweep' or 'drill'; a folder mobsim did not write is bad input."""
    d = Path(run_dir)
    if (d / "sweep.json").is_file():
        return "sweep"
    if (d / "manifest.json").is_file():
        try:
            kind = _read_json(d / "manifest.json").get("kind", "run")
        except (json.JSONDecodeError, AttributeError) as exc:
            raise ScenarioError([Problem(str(d / "manifest.json"), None, "manifest.json", None,
                                         f"is not a mobsim manifest ({exc})")]) from None
        if kind == "drill":
            return "drill"
        if kind == "run" and (d / "summary.json").is_file():
            return "run"
    raise ScenarioError([Problem(str(d), None, "RUN_DIR", str(run_dir),
                                 "not a run, sweep or drill folder written by mobsim (it needs manifest.json and "
                                 "summary.json, sweep.json, or a drill manifest)")])


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the HTML report of a run, sweep or drill folder (default RUN_DIR/report.html); returns its path."""
    d = Path(run_dir)
    try:
        kind = folder_kind(d)
        page = {"run": run_page, "sweep": sweep_page, "drill": drill_page}[kind](d)
    except FileRefused as exc:  # a file of the folder is a device, a FIFO, huge, or not UTF-8
        raise ScenarioError([Problem(str(d), None, "RUN_DIR", None, f"a file in it {exc.reason}")]) from None
    except (ValueError, csv.Error) as exc:  # JSONDecodeError included: a damaged file
        raise ScenarioError([Problem(str(d), None, "RUN_DIR", None, "a file in it is damaged or not one mobsim "
                                     f"wrote ({type(exc).__name__}); re-run it, or report another folder")]) from None
    path = Path(out) if out else d / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, page)
    return path


# --------------------------------------------------------------------------- run


def _failed_items(failed: list[dict[str, Any]], what: str) -> list[str]:
    return [f"<li>{_e(what)} {_e(f.get('replication', f.get('run')))} failed: {_e(f.get('error'))}</li>"
            for f in failed]


def _flags_section(flags: list[str], failed: list[dict[str, Any]]) -> tuple[str, str, str, str]:
    items = [f"<li>FLAG: {_e(f)}</li>" for f in flags] + _failed_items(failed, "replication")
    if items:
        return "flags", f"Flags ({len(items)})", f'<div id="flags"><ul>{"".join(items)}</ul></div>', "flags warn"
    ok = ('<div id="flags"><p>No flags: the scenario keeps every rule it is checked against (such as agency teams '
          "of at least 20 % of staff), and no replication failed.</p></div>")
    return "flags", "Flags", ok, "flags"


def run_page(d: Path) -> str:
    summary = _read_json(d / "summary.json")
    manifest = _read_json(d / "manifest.json") if (d / "manifest.json").is_file() else {}
    kpis: dict[str, Any] = summary.get("kpis", {})
    rows = []
    for name, k in kpis.items():
        values = [v for v in k.get("values", []) if v is not None and math.isfinite(v)]
        rows.append([_e(name), _kpi_num(name, k.get("mean")), _kpi_num(name, k.get("ci95_low")),
                     _kpi_num(name, k.get("ci95_high")), str(len(values))])
    done = summary.get("replications_done", [])
    table = ('<p><label>Filter KPIs: <input id="kpi-filter" type="search" placeholder="e.g. emergency"></label> '
             '<span class="muted">Mean over replications with a 95 % confidence interval (Student t); '
             'shares in percent; times in minutes; n = replications where the KPI is defined.</span></p>'
             + '<div class="scroll">'
             + _table(("KPI", "mean", "95 % CI low", "95 % CI high", "n"), rows, "kpi-table", numeric=(1, 2, 3, 4))
             + '</div>'
             if rows else '<p id="kpi-table" class="muted">No replication finished: no KPIs.</p>')
    flags = list(dict.fromkeys([*summary.get("flags", []), *manifest.get("flags", [])]))
    sections = [
        _flags_section(flags, summary.get("failed", [])),
        ("kpis", "KPIs", table, ""),
        ("plots", "Plots", _plots(d, RUN_PLOTS), ""),
        ("assumptions", "Assumptions", '<p class="muted">The scenario with every default filled in and every '
         "override applied.</p>" + _yaml_details(d, ["scenario.resolved.yaml"], "resolved scenario"), ""),
        ("manifest", "Manifest", _manifest(manifest, "manifest.json"), ""),
    ]
    name = summary.get("scenario", d.name)
    sub = (f"run folder {d.name}: {len(done)} of {summary.get('replications')} replications, "
           f"seed {summary.get('seed')}")
    return _page(f"mobsim run: {name}", sub, sections, JS_FILTER)


# --------------------------------------------------------------------------- sweep


def sweep_page(d: Path) -> str:
    manifest = _read_json(d / "sweep.json")
    exp_text = _read_text(d / "experiment.resolved.yaml")
    exp = yaml.safe_load(exp_text) if exp_text else {}
    exp = exp if isinstance(exp, dict) else {}
    rows = _read_csv(d / "summary.csv")
    cols = list(rows[0]) if rows else []
    factors: list[str] = [str(f.get("key")) for f in exp.get("factors", [])
                          if isinstance(f, dict) and f.get("key") in cols]
    if not factors and "runs_ok" in cols:  # no experiment file: the columns between point and runs_ok
        factors = cols[1:cols.index("runs_ok")]
    kpis = [k for k in exp.get("kpis", []) if k in cols]
    head = ["point", *factors, "runs ok", "runs failed"]
    for k in kpis:
        head += [f"{k} mean", f"{k} 95 % CI"]
    body = []
    for r in rows:
        cells = [_e(r.get("point")), *(_e(r.get(f)) for f in factors), _e(r.get("runs_ok")),
                 _e(r.get("runs_failed"))]
        for k in kpis:
            cells += [_kpi_num(k, r.get(k)),
                      f"{_kpi_num(k, r.get(f'{k}.ci95_low'))} \u2013 {_kpi_num(k, r.get(f'{k}.ci95_high'))}"]
        body.append(cells)
    nums = range(len(factors) + 1, len(head))
    table = (f'<p class="muted">One row per design point: the factor values and the experiment\'s KPIs, mean over '
             f'replications with a 95 % confidence interval (Student t). Every KPI is in summary.csv.</p>'
             f'<div class="scroll">{_table(head, body, "kpi-table", numeric=nums)}</div>'
             if rows else '<p id="kpi-table" class="muted">No summary.csv in this folder.</p>')
    failed = _failed_items(manifest.get("failed", []), "run")
    failures = (f'<div id="failures"><ul>{"".join(failed)}</ul><p>A resume (<code>mobsim sweep EXPERIMENT --out '
                "DIR --resume</code>) runs them again.</p></div>")
    sections = [("failures", f"Failures ({len(failed)})", failures, "flags warn") if failed else
                ("failures", "Failures", '<div id="failures"><p>No run failed.</p></div>', "flags")]
    sections.append(("kpis", "Summary", table, ""))
    sections.append(("plots", "Plots", _plots(d, {}, ("kpi_*.png", "sobol_*.png")), ""))
    if (d / "sobol.json").is_file():
        sections.append(("sobol", "Sobol indices", _sobol_table(_read_json(d / "sobol.json")), ""))
    sections.append(("assumptions", "Experiment", _yaml_details(d, ["experiment.resolved.yaml"], "resolved experiment"),
                     ""))
    sections.append(("manifest", "Manifest", _manifest(manifest, "sweep.json"), ""))
    name = manifest.get("experiment", exp.get("name", d.name))
    sub = (f"sweep folder {d.name}: {manifest.get('design', exp.get('design'))} design, {manifest.get('points')} "
           f"design points \u00d7 {manifest.get('replications')} replications = {manifest.get('runs')} runs "
           f"({manifest.get('runs_ok')} ok, {manifest.get('runs_failed')} failed)")
    if exp.get("description"):
        sub += f" \u2014 {exp['description']}"
    return _page(f"mobsim sweep: {name}", sub, sections)


def _sobol_table(sobol: dict[str, Any]) -> str:
    rows, notes = [], []
    for kpi, res in sobol.items():
        if "indices" not in res:
            notes.append(f"<li>{_e(kpi)}: {_e(res.get('note', 'not computed'))}</li>")
            continue
        for r in res["indices"]:
            rows.append([_e(kpi), _e(r["factor"]), _num(r["first_order"]),
                         f"{_num(r['first_order_ci95_low'])} \u2013 {_num(r['first_order_ci95_high'])}",
                         _num(r["total_order"]),
                         f"{_num(r['total_order_ci95_low'])} \u2013 {_num(r['total_order_ci95_high'])}"])
    out = ('<p class="muted">First-order and total Sobol indices per factor with 95 % bootstrap intervals.</p>'
           + _table(("KPI", "factor", "first order", "95 % CI", "total", "95 % CI"), rows, "sobol-table",
                    numeric=(2, 3, 4, 5)) if rows else "")
    return out + (f"<ul>{''.join(notes)}</ul>" if notes else "")


# --------------------------------------------------------------------------- drill


def _gaps(rows: list[dict[str, str]], top: int = 3) -> tuple[list[dict[str, str]], str]:
    gaps = sorted((r for r in rows if r.get("gap_min")), key=lambda r: -abs(float(r["gap_min"])))[:top]
    items = []
    for r in gaps:
        g = float(r["gap_min"])
        items.append(f"<li><b>{_e(r['inject'])}</b> ({_e(r.get('expected_action'))}): the model is "
                     f"{abs(g):.1f} min {'later' if g > 0 else 'earlier'} than the drill "
                     f"({_e(r.get('simulated'))} vs {_e(r.get('actual'))})</li>")
    misses = [r["inject"] for r in rows if r.get("simulated_met") == "no"]
    actual = [r["inject"] for r in rows if r.get("actual_met") == "no"]
    out = ""
    if items:
        out += f"<p><b>Largest gaps between the model and the real drill:</b></p><ul>{''.join(items)}</ul>"
    if misses:
        out += f"<p><b>Targets the model misses:</b> {_e(', '.join(misses))}</p>"
    if actual:
        out += f"<p><b>Targets the real drill missed:</b> {_e(', '.join(actual))}</p>"
    return gaps, (f'<div class="callout" id="gaps">{out}</div>' if out else "")


def _after_action(rows: list[dict[str, str]]) -> str:
    if not rows:
        return '<p id="after-action" class="muted">No after_action.csv in this folder.</p>'
    head = list(rows[0])
    gaps, callout = _gaps(rows)
    big = {id(r) for r in gaps}
    body, classes = [], []
    for r in rows:
        cells: list[Any] = []
        for h in head:
            v = r.get(h, "")
            if h in ("simulated_met", "actual_met") and v == "no":
                cells.append((_e(v), "bad"))
            elif h == "gap_min" and id(r) in big:
                cells.append((_e(v), "big"))
            else:
                cells.append(_e(v))
        body.append(cells)
        classes.append("miss" if r.get("simulated_met") == "no" or r.get("actual_met") == "no" else "")
    table = _table(head, body, "after-action", classes)
    note = ('<p class="muted">Expected vs simulated vs actual, per inject. Rows where a target is missed are red; '
            "the largest gaps are outlined. gap_min is simulated minus actual.</p>")
    return note + callout + f'<div class="scroll">{table}</div>'


def _stage_table(incidents: list[dict[str, str]], start: float) -> str:
    def cell(r: dict[str, str], col: str) -> str:
        v = r.get(col, "")
        if v == "":
            return "never"
        t, t0 = float(v), float(r["onset_min"])
        return _e(f"{min_to_clock(t, start)} (+{t - t0:.0f})")

    drill_rows = [r for r in incidents if r.get("inject")]
    other = [r for r in incidents if not r.get("inject")]
    head = ("inject", "grid", "class", "severity", "onset", *(s for s, _c in STAGES), "served by")
    rows = [[_e(r["inject"]), _e(r.get("grid")), _e(r.get("class")), _e(r.get("severity")),
             _e(min_to_clock(float(r["onset_min"]), start)), *(cell(r, c) for _s, c in STAGES),
             _e(r.get("served_by"))] for r in drill_rows]
    if other:
        means = []
        for _s, c in STAGES:
            dt = [float(r[c]) - float(r["onset_min"]) for r in other if r.get(c)]
            means.append(f"mean +{sum(dt) / len(dt):.0f} ({len(dt)})" if dt else "never")
        rows.append([f"background ({len(other)} incidents)", "", "", "", "", *means, ""])
    if not rows:
        return '<p id="kpi-table" class="muted">No incidents in this drill.</p>'
    return ('<p class="muted">Each stage of every drill incident: the drill clock and, in brackets, minutes after '
            "onset.</p>" + f'<div class="scroll">{_table(head, rows, "kpi-table")}</div>')


def _clock_label(t: float, start: float) -> str:
    return f"{min_to_clock(t, start)}  (+{t:.0f} min)"


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
                 max_markers: int = 300) -> dict[str, Any]:
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
                active.append(f"{label} ({sp['kind'].replace('_', ' ')})")
                if sp["kind"] in DISRUPTION:
                    for g in area[label]:
                        dis[g] = dis.get(g, 0) | DISRUPTION[sp["kind"]]
        mode = 0
        for tt, v in sorted(toggles):
            if tt <= t + 1e-9:
                mode = v
        status = (f"{'EMERGENCY MODE' if mode else 'peacetime'} \u00b7 {counts[1]} waiting \u00b7 "
                  f"{counts[2]} with responders on site \u00b7 {counts[3]} closed recently")
        if active:
            status += " \u00b7 in force: " + ", ".join(active)
        frames.append({"t": t, "c": _clock_label(t, start), "g": sorted([g, s] for g, s in state.items()),
                       "m": marks, "d": sorted([g, c] for g, c in dis.items()), "e": mode, "s": status,
                       "n": sum(1 for x in log_t if x <= t + 1e-9)})
    return {"frames": frames, "markers": markers, "log": narrative, "step_min": step, "recent_min": recent,
            "interval_ms": 300}


def _nearest_km(xs: list[float], ys: list[float]) -> float:
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


def _map_svg(grids: list[dict[str, str]], markers: list[dict[str, Any]]) -> str:
    if not grids:
        return '<svg id="map" viewBox="0 0 100 40"><text x="10" y="20">no grids.csv</text></svg>'
    xs = [float(g["x_km"]) for g in grids]
    ys = [float(g["y_km"]) for g in grids]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span_x, span_y = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
    width, pad = 800.0, 30.0
    scale = min((width - 2 * pad) / span_x, (0.8 * width - 2 * pad) / span_y)
    height = span_y * scale + 2 * pad + 20
    r = max(2.5, min(12.0, 0.45 * _nearest_km(xs, ys) * scale))

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
            out.append(f'<text class="lab" x="{cx:.1f}" y="{cy:.1f}" text-anchor="middle">{_e(c)}</text>')
    out.append('<g id="map-grids">')
    for i, g in enumerate(grids):
        x, y = pos(i)
        base = "g key" if g.get("key_area") not in ("0", "", None) else "g"
        out.append(f'<circle class="{base}" data-c="{base}" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}">'
                   f"<title>{_e(g['grid'])} ({_e(g.get('community'))}, {_e(g.get('kind'))}, "
                   f"{_e(g.get('households'))} households{', key area' if 'key' in base else ''})</title></circle>")
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
                   f'<text x="{x + 6:.1f}" y="{y - 6:.1f}">{_e(m["label"])}</text></g>')
    out.append(f'<text id="map-mode" class="mode" x="{pad:.0f}" y="18" style="display:none">'
               "EMERGENCY MODE</text></svg>")
    return "".join(out)


def drill_page(d: Path) -> str:
    manifest = _read_json(d / "manifest.json")
    drill_text = _read_text(d / "drill.resolved.yaml")
    drill = yaml.safe_load(drill_text) if drill_text else {}
    drill = drill if isinstance(drill, dict) else {}
    start_clock = manifest.get("start_clock") or drill.get("start_clock") or "00:00"
    try:
        start = clock_to_min(str(start_clock))
    except ValueError:
        start = 0.0
    events = []
    text = _read_text(d / "events.jsonl") or ""
    for line in text.splitlines():
        if line.strip():
            events.append(json.loads(line))
    grids = _read_csv(d / "grids.csv")
    narrative = (_read_text(d / "narrative.txt") or "").splitlines()
    horizon = drill.get("horizon_min")
    if manifest.get("until_min") is not None:
        horizon = None
    anim = drill_frames(events, grids, drill.get("injects") or [], start,
                        float(horizon) if isinstance(horizon, (int, float)) else None, narrative)
    legend = "".join(f'<span><i style="background:{c}"></i>{_e(STATES[s])}</span>'
                     for s, c in ((1, "#e53935"), (2, "#fb8c00"), (3, "#43a047")))
    legend += ('<span><i style="background:#dfe4ea"></i>no incident</span>'
               '<span><i style="background:#dfe4ea;border:2px solid #111"></i>key area</span>'
               '<span><i style="background:none;border:2px dashed #1565c0"></i>reporting link down</span>'
               '<span><i style="background:none;border:2px dotted #6d4c41"></i>road closed</span>')
    last = len(anim["frames"]) - 1
    map_html = (
        f'<p class="muted">The grids at their positions (grids.csv), every {anim["step_min"]} min of the drill: '
        f'each grid coloured by its most urgent incident ("closed recently" = within {anim["recent_min"]} min); '
        "triangles mark incidents, labelled with their inject (or #number).</p>"
        '<div class="controls"><button id="play" type="button">\u25b6 Play</button>'
        f'<input id="slider" type="range" min="0" max="{last}" step="1" value="0" aria-label="drill time">'
        f'<span id="clock">{_e(anim["frames"][0]["c"])}</span></div>'
        f'<div id="map-status">{_e(anim["frames"][0]["s"])}</div>'
        f'{_map_svg(grids, anim["markers"])}<div class="legend">{legend}</div><div id="map-log"></div>')
    data_json = json.dumps(anim, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    data_json = data_json.replace("</", "<\\/").replace("<!--", "<\\!--")
    data = f'<script type="application/json" id="map-data">{data_json}</script>\n'
    aa = _read_csv(d / "after_action.csv")
    incidents = _read_csv(d / "incidents.csv")
    summary = [f"{len(events)} events", f"{len(incidents)} incidents"]
    acts = manifest.get("activations") or []
    if acts:
        summary.append("emergency mode from " + ", ".join(min_to_clock(float(a), start) for a in acts))
    sections = [
        ("after-action", "After action", _after_action(aa), ""),
        ("kpis", "Incident stages", _stage_table(incidents, start) + f'<p class="muted">{_e("; ".join(summary))}</p>',
         ""),
        ("map", "Map over time", map_html, ""),
        ("timeline", "Timeline", _plots(d, {"timeline.png": "each drill incident stage by stage, and the teams that "
                                            "served them"}, ()), ""),
        ("narrative", "Narrative", f'<pre id="narrative">{_e(chr(10).join(narrative))}</pre>', ""),
        ("assumptions", "Assumptions", _yaml_details(d, ["drill.resolved.yaml", "scenario.resolved.yaml"],
                                                     "resolved input"), ""),
        ("manifest", "Manifest", _manifest(manifest, "manifest.json"), ""),
    ]
    name = manifest.get("drill", drill.get("name", d.name))
    sub = f"drill folder {d.name}: starts {start_clock}, seed {manifest.get('seed')}"
    if drill.get("description"):
        sub += f" \u2014 {drill['description']}"
    return _page(f"mobsim drill: {name}", sub, sections, JS_MAP, data)
