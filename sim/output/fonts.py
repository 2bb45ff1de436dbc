"""Chinese text in plots and pages on any machine, including one with no CJK font installed.

The font is Noto Sans SC (SIL Open Font License) from the `pylopdf-fonts-zh-cn` package, a dependency
that only carries font files: every machine that installs mobsim has the same font, so plots are the same
bytes everywhere. Where the package is missing, a system CJK font is used if matplotlib finds one; where
there is none, plots fall back to English labels and every output says so (`font_note`).

Pages carry the font themselves: the glyphs a page uses are cut out of the font (fontTools, which
matplotlib already needs) and embedded as a `data:` WOFF, so the page stays self-contained and shows
Chinese even in a browser on a machine without a CJK font.
"""

from __future__ import annotations

import base64
import functools
import io
from pathlib import Path
from typing import Any

#: system fonts tried when the package is missing, in order
SYSTEM_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                   "WenQuanYi Zen Hei", "Droid Sans Fallback", "SimHei", "Microsoft YaHei", "PingFang SC")
PAGE_FAMILY = "MobsimCJK"


def _package_font() -> Path | None:
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    return path if path.is_file() else None


def _system_font() -> Path | None:
    from matplotlib import font_manager

    for family in SYSTEM_FAMILIES:
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        if path and Path(path).suffix.lower() in (".otf", ".ttf"):
            return Path(path)
    return None


@functools.cache
def cjk_font_path() -> Path | None:
    """The CJK font file used for plots and pages, or None where the machine has none."""
    return _package_font() or _system_font()


@functools.cache
def _mpl_family() -> str | None:
    path = cjk_font_path()
    if path is None:
        return None
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(path))
    return str(font_manager.FontProperties(fname=str(path)).get_name())


def plot_rc() -> dict[str, Any]:
    """matplotlib settings: Latin text in DejaVu Sans, CJK text in the CJK font (per-glyph fallback)."""
    family = _mpl_family()
    fams = ["DejaVu Sans", family] if family else ["DejaVu Sans"]
    return {"font.family": fams, "axes.unicode_minus": False}


def plots_can_show_chinese() -> bool:
    return _mpl_family() is not None


def font_note(lang: str) -> str | None:
    """What to tell the reader when Chinese was asked for and no font can draw it; None when all is well."""
    if lang != "zh" or plots_can_show_chinese():
        return None
    return ("没有找到中文字体：图表改用英文标注。安装 pylopdf-fonts-zh-cn（pip）或 Debian 的 fonts-noto-cjk 后重新生成。"
            " (No Chinese font found: the plots are labelled in English. Install pylopdf-fonts-zh-cn with pip, or "
            "Debian's fonts-noto-cjk, and write the outputs again.)")


UNICODE_RANGE = "U+2E80-9FFF,U+F900-FAFF,U+FE30-FE4F,U+FF00-FFEF,U+20000-2FA1F"


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFE30 <= o <= 0xFE4F or 0xFF00 <= o <= 0xFFEF
            or 0x20000 <= o <= 0x2FA1F)


def page_font_css(text: str) -> str:
    """An @font-face rule with the CJK glyphs `text` uses, embedded; '' when it uses none or no font exists.

    The same text gives the same bytes: the font's own timestamp is kept and WOFF's zlib is deterministic.
    """
    chars = "".join(sorted({c for c in text if is_cjk(c)}))
    path = cjk_font_path()
    if not chars or path is None:
        return ""
    data = _subset(str(path), chars)
    b64 = base64.b64encode(data).decode("ascii")
    # unicode-range, with the family first in the page's list: the browser takes CJK characters from this
    # font at once rather than looking for them in the system fonts (where it found only empty boxes)
    return (f'@font-face{{font-family:"{PAGE_FAMILY}";src:url(data:font/woff;base64,{b64}) format("woff");'
            f"font-display:block;unicode-range:{UNICODE_RANGE}}}")


@functools.lru_cache(maxsize=8)
def _subset(path: str, chars: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(path, recalcTimestamp=False, lazy=False)
    opts = subset.Options()
    opts.desubroutinize = True
    opts.drop_tables += ["BASE", "VORG", "vhea", "vmtx"]
    sub = subset.Subsetter(opts)
    sub.populate(text=chars + "\u3000")
    sub.subset(font)
    out = io.BytesIO()
    font.flavor = "woff"
    font.save(out, reorderTables=True)
    return out.getvalue()
