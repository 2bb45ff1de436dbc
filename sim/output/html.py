"""The pieces every page is made of: escaping, tables, sections, embedded plots, the page frame and its CSS.

Every page is self-contained: plots are base64 `data:` PNGs, CSS and JavaScript are inline, the CJK glyphs
the page uses are an embedded font (`fonts.page_font_css`), and a Content-Security-Policy forbids
fetching anything else. Pages are printable: no box scrolls inside the page, and a print stylesheet drops
the navigation, opens collapsed sections and keeps tables and figures whole on a sheet.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.files import MAX_OUTPUT_BYTES, read_bytes_limited, read_text_limited
from sim.output.fonts import PAGE_FAMILY, page_font_css
from sim.output.labels import Lang

CSS = """
*{box-sizing:border-box}button,input,select,textarea{font-family:inherit}
body{font-family:"__CJK__",system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"PingFang SC",
"Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;
color:#1d2330;background:#f6f7f9;line-height:1.45}
header{background:#1f3a5f;color:#fff;padding:14px 24px}header h1{margin:0;font-size:1.45em}
header p{margin:4px 0 0;opacity:.9}header p.desc{font-size:1.05em;opacity:1}
nav{padding:6px 24px;background:#e8ecf2;font-size:.9em}nav a{margin-right:14px;color:#1f3a5f;white-space:nowrap}
main{padding:8px 24px 40px;max-width:1560px}
section{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:10px 16px;margin:14px 0}
section p,section li{overflow-wrap:break-word}
h2{font-size:1.15em;margin:4px 0 10px;color:#1f3a5f}h3{font-size:1em;margin:12px 0 4px;color:#1f3a5f}
table{border-collapse:collapse;font-size:.88em;margin:6px 0;max-width:100%}
th,td{border:1px solid #d4d9e1;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef1f6}th.num{text-align:right}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr:nth-child(even) td{background:#fafbfc}
td small,.ci{display:block;color:#667;font-size:.82em;font-weight:400}
td .meaning{display:block;color:#667;font-size:.85em}
.headline{font-size:1.06em}.headline li{margin:4px 0}.headline .diag{color:#8a3b00}
.flags{border-left:6px solid #2e7d32;background:#edf7ee}
.flags.warn{border-left-color:#c62828;background:#fdecea}
.flags.warn h2{color:#b71c1c}.flags li{font-weight:600}
.note{border-left:6px solid #e65100;background:#fff4e5}
tr.miss td{background:#fdd9d5 !important}td.bad{color:#b71c1c;font-weight:700}td.big{outline:2px solid #e65100}
tr.pending td{color:#667;background:#f0f1f4 !important}td.wait{color:#455a64;font-style:italic}
.callout{border-left:4px solid #e65100;background:#fff4e5;padding:6px 12px;margin:8px 0}
.figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,560px),1fr));gap:12px}
figure{margin:6px 0 12px;min-width:0}
figure img{max-width:100%;height:auto;border:1px solid #dde2ea}figcaption{font-size:.85em;color:#555}
pre,code{font-family:"__CJK__",ui-monospace,SFMono-Regular,Menlo,monospace}
pre{background:#f3f5f8;padding:8px;font-size:.82em;white-space:pre-wrap;overflow-wrap:anywhere}
details summary{cursor:pointer;font-weight:600;margin:4px 0}
.muted{color:#666;font-size:.88em}
.key{font-size:.9em;margin:4px 0 8px;padding-left:18px}.key b{font-family:ui-monospace,monospace}
.groups{display:flex;flex-wrap:wrap;gap:0 28px;align-items:flex-start}.group{min-width:0;max-width:100%}
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:14px}
svg text{font-family:inherit}
@media print{
body{background:#fff;font-size:10.5pt}nav,.noprint{display:none}header{background:#fff;color:#000;padding:0 0 6px;
border-bottom:2px solid #1f3a5f}header p{opacity:1}main{padding:0;max-width:none}
section{border:none;padding:4px 0;margin:8px 0;break-inside:auto}h2{break-after:avoid}
table,figure,.headline{break-inside:avoid}tr{break-inside:avoid}.figs{display:block}
figure img{max-width:100%;max-height:9.5cm;border:none}a{color:inherit;text-decoration:none}
}
"""

JS_PRINT = """
window.addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});});
"""


def e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def read_json(path: Path) -> Any:
    return json.loads(read_text_limited(path))


def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    return list(csv.DictReader(io.StringIO(read_text_limited(path), newline="")))


def read_text(path: Path) -> str | None:
    return read_text_limited(path) if path.is_file() else None


def attr(name: str, value: str) -> str:
    return f' {name}="{e(value)}"' if value else ""


def table(head: Iterable[str], rows: Iterable[Iterable[Any]], table_id: str = "",
          row_classes: list[str] | None = None, numeric: Iterable[int] = (), cls: str = "") -> str:
    """An HTML table. A cell is HTML (escaped by the caller) or (HTML, CSS class); `head` is plain text."""
    nums = set(numeric)
    out = [f"<table{attr('id', table_id)}{attr('class', cls)}><thead><tr>"]
    out += [f"<th{attr('class', 'num' if j in nums else '')}>{e(h)}</th>" for j, h in enumerate(head)]
    out.append("</tr></thead><tbody>")
    for k, row in enumerate(rows):
        out.append(f"<tr{attr('class', row_classes[k] if row_classes else '')}>")
        for j, cell in enumerate(row):
            text, c = cell if isinstance(cell, tuple) else (cell, "")
            c = " ".join(x for x in ("num" if j in nums else "", c) if x)
            out.append(f"<td{attr('class', c)}>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def section(sid: str, title: str, body: str, cls: str = "") -> str:
    return f'<section id="sec-{sid}"{attr("class", cls)}><h2>{e(title)}</h2>{body}</section>'


def png(path: Path, caption: str, name: bool = False) -> str:
    data = base64.b64encode(read_bytes_limited(path, MAX_OUTPUT_BYTES, "PNG")).decode("ascii")
    cap = f"{e(path.name)}: {e(caption)}" if name else e(caption)
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{e(caption or path.name)}">'
            f"<figcaption>{cap}</figcaption></figure>")


def plots(d: Path, known: dict[str, str], patterns: tuple[str, ...] = ("*.png",), empty: str = "No plots.") -> str:
    """The known plots in order with their captions, then any others matching `patterns`, in a grid."""
    names = [n for n in known if (d / n).is_file()]
    for pat in patterns:
        names += sorted(p.name for p in d.glob(pat) if p.name not in names)
    if not names:
        return f'<p class="muted">{e(empty)}</p>'
    figs = "".join(png(d / n, known.get(n, n.rsplit(".", 1)[0].replace("_", " "))) for n in names)
    return f'<div class="figs">{figs}</div>'


def value_html(v: Any) -> str:
    if isinstance(v, (dict, list)):
        text = json.dumps(v, indent=2, ensure_ascii=False)
        if len(text) > 300:
            return f"<details><summary>{len(v)} item(s)</summary><pre>{e(text)}</pre></details>"
        return f"<pre>{e(text)}</pre>"
    return e(v)


def manifest_table(data: dict[str, Any] | None, name: str, missing: str) -> str:
    if not data:
        return f'<p class="muted">{e(missing)}</p>'
    rows = [[e(k), value_html(v)] for k, v in data.items()]
    return f'<p class="muted">{e(name)}</p>' + table(("key", "value"), rows, "manifest")


def yaml_details(d: Path, names: Iterable[str], what: str, missing: str) -> str:
    parts = []
    for n in names:
        text = read_text(d / n)
        if text is not None:
            parts.append(f"<details><summary>{e(what)} ({e(n)})</summary><pre>{e(text)}</pre></details>")
    return "".join(parts) or f'<p class="muted">{e(missing)}</p>'


def page(title: str, subtitle: str, sections: list[tuple[str, str, str, str]], script: str = "",
         data: str = "", lang: Lang = "en", description: str = "", css: str = "") -> str:
    """The whole document. sections: (id, title, body HTML, CSS class); data: extra elements before the script.

    The CJK glyphs of the page (if any) are embedded as a font, so the page needs no font of the machine.
    """
    nav = "".join(f'<a href="#sec-{sid}">{e(t)}</a>' for sid, t, _b, _c in sections)
    body = "".join(section(sid, t, b, c) for sid, t, b, c in sections)
    desc = f'<p class="desc" id="description">{e(description)}</p>' if description else ""
    head = f"<header><h1>{e(title)}</h1>{desc}<p>{e(subtitle)}</p></header>\n<nav>{nav}</nav>\n"
    content = f"{head}<main>\n{body}\n</main>\n"
    font = page_font_css(title + subtitle + description + content + data)
    csp = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
           "connect-src 'none'; font-src data:; form-action 'none'; base-uri 'none'")
    style = CSS.replace("__CJK__", PAGE_FAMILY) + css
    html_lang = "zh-Hans" if lang == "zh" else "en"
    return (f"<!DOCTYPE html>\n<html lang=\"{html_lang}\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{e(title)}</title>\n<style>{font}{style}</style>\n</head>\n<body>\n"
            f"{content}{data}<script>{JS_PRINT}{script}</script>\n</body>\n</html>\n")
