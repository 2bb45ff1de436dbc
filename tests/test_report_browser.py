"""The reports in a real browser: headless Chromium (Debian's `chromium`) driven by Selenium through Debian's
`chromium-driver`. The page must render its tables and plots, run its animation, and fetch nothing from the
network (every request the page makes, read from Chrome's performance log, is a file: or data: URL).

Skipped, with the reason, where Chromium, its driver or the selenium package is missing
(`apt-get install chromium chromium-driver`; `pip install -e '.[test]'`).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.test_report import PNG, build_folders


def _find(env: str, *candidates: str) -> str | None:
    for c in (os.environ.get(env), *candidates):
        if c and (Path(c).is_file() or shutil.which(c)):
            return shutil.which(c) or c
    return None


CHROMIUM = _find("MOBSIM_CHROMIUM", "/usr/bin/chromium", "chromium", "chromium-browser")
CHROMEDRIVER = _find("MOBSIM_CHROMEDRIVER", "/usr/bin/chromedriver", "chromedriver")

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - depends on the machine
    webdriver = None

if webdriver is None:
    pytest.skip("the selenium package is not installed (pip install -e '.[test]')", allow_module_level=True)
if CHROMIUM is None:
    pytest.skip("Chromium is not installed (no /usr/bin/chromium; apt-get install chromium chromium-driver)",
                allow_module_level=True)
if CHROMEDRIVER is None:
    pytest.skip("chromedriver is not installed (no /usr/bin/chromedriver; apt-get install chromium-driver)",
                allow_module_level=True)

FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--disable-dev-shm-usage", "--window-size=1280,1800")
PAGE_LOCAL = ("file:", "data:")  # what the report itself may load
#: browser-internal schemes (a new tab page that was open before the report, say); nothing else is allowed
INTERNAL = ("about:", "chrome:", "chrome-untrusted:", "devtools:")


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    return build_folders(tmp_path_factory.mktemp("report-browser"))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    except WebDriverException as exc:  # pragma: no cover - a broken install
        pytest.skip(f"Chromium could not be started through {CHROMEDRIVER}: {exc.msg}")
    driver.set_page_load_timeout(30)
    driver.get("about:blank")
    yield driver
    driver.quit()


def open_report(driver, path: Path) -> list[tuple[str, str]]:
    """Load a report; (URL, document URL) of every request made meanwhile (Chrome's performance log)."""
    driver.get_log("performance")  # drop what came before
    driver.execute_cdp_cmd("Network.enable", {})
    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
    driver.execute_script("return new Promise(r => setTimeout(r, 300))")  # anything the page would do later
    requests = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            requests.append((msg["params"]["request"]["url"], msg["params"].get("documentURL", "")))
        elif msg["method"] == "Network.webSocketCreated":
            requests.append((msg["params"]["url"], ""))
    return requests


def check_page(driver, path: Path, n_images: int) -> None:
    page = path.resolve().as_uri()
    requests = open_report(driver, path)
    assert (page, page) in requests, "the performance log records the page's requests"
    network = [u for u, _doc in requests if not u.startswith(PAGE_LOCAL + INTERNAL)]
    assert not network, f"requests to the network: {network}"
    mine = [u for u, doc in requests if doc == page]
    assert any(u.startswith("data:image/png") for u in mine)
    assert all(u.startswith(PAGE_LOCAL) for u in mine), mine
    # the KPI table has rows once the page is up
    rows = driver.find_elements(By.CSS_SELECTOR, "#kpi-table tbody tr")
    assert rows and rows[0].is_displayed()
    # the plots: data: URIs that decode as PNG and that the browser decoded too
    imgs = driver.find_elements(By.TAG_NAME, "img")
    assert len(imgs) == n_images
    for img in imgs:
        src = img.get_attribute("src")
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG)
        assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) > 100
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors  # no script error, no Content-Security-Policy violation


def test_run_report_in_chromium(browser, folders):
    check_page(browser, folders["run"] / "report.html", 4)
    flags = browser.find_element(By.ID, "flags")
    assert flags.is_displayed() and "20 %" in flags.text
    headline = browser.find_element(By.ID, "headline")
    assert headline.is_displayed() and "90 % within" in headline.text
    assert browser.find_element(By.ID, "description").is_displayed()
    assert_fits_and_no_inner_scroll(browser)


def assert_fits_and_no_inner_scroll(driver, scroll: bool = True) -> None:
    """What a person sees: nothing wider than the window, and (for printable pages) no box that scrolls."""
    wide = driver.execute_script("""
        var w = document.documentElement.clientWidth, out = [];
        document.querySelectorAll('body *').forEach(function (el) {
            var r = el.getBoundingClientRect();
            if (r.width > 0 && r.right > w + 1) out.push(el.tagName + '#' + el.id + '.' + el.className);
        });
        return out.concat(document.documentElement.scrollWidth > w ? ['document'] : []);""")
    assert not wide, f"wider than the window: {wide[:5]}"
    if scroll:
        boxes = driver.execute_script("""
            var out = [];
            document.querySelectorAll('body *').forEach(function (el) {
                var s = getComputedStyle(el);
                var y = (s.overflowY === 'auto' || s.overflowY === 'scroll') && el.scrollHeight > el.clientHeight + 1;
                var x = (s.overflowX === 'auto' || s.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1;
                if ((x || y) && el.offsetParent !== null) out.push(el.tagName + '#' + el.id);
            });
            return out;""")
        assert not boxes, f"boxes that scroll inside the page: {boxes}"


#: ink of two Chinese characters and of an unassigned code point (drawn as the empty box of a missing glyph)
GLYPHS = """
var done = arguments[arguments.length - 1];
document.fonts.ready.then(function () {
  function ink(ch, el) {
    var c = document.createElement('canvas'); c.width = 48; c.height = 48;
    var x = c.getContext('2d'), s = getComputedStyle(el);
    x.font = s.fontWeight + ' 32px ' + s.fontFamily; x.fillText(ch, 4, 38);
    return c.toDataURL();
  }
  var h = document.querySelector('h1'), b = document.querySelector('main');
  done({a: ink('应', h), b: ink('急', h), box: ink('\u0378', h), c: ink('应', b), d: ink('网', b),
        fonts: Array.from(document.fonts).map(function (f) { return f.family + ' ' + f.status; })});
});
"""


def assert_chinese_rendered(driver) -> None:
    """Two Chinese characters draw differently, and neither as the missing-glyph box: real glyphs, not tofu."""
    r = driver.execute_async_script(GLYPHS)
    assert "MobsimCJK loaded" in r["fonts"], r["fonts"]
    assert r["a"] != r["b"] and r["c"] != r["d"], "two characters draw the same: boxes"
    assert r["box"] not in (r["a"], r["b"], r["c"], r["d"]), "a Chinese character draws as the missing-glyph box"
    platform = driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": _node(driver, "h1")})["fonts"]
    assert any(f["isCustomFont"] or "CJK" in f["familyName"] or " SC" in f["familyName"] for f in platform), platform
    # canvas reads on a file: page log a note about file: origins; leave the log clean for the next page
    left = [e for e in driver.get_log("browser") if "unique security origins" not in e["message"]]
    assert not [e for e in left if e["level"] == "SEVERE"], left


def _node(driver, selector: str) -> int:
    driver.execute_cdp_cmd("DOM.enable", {})
    driver.execute_cdp_cmd("CSS.enable", {})
    root = driver.execute_cdp_cmd("DOM.getDocument", {})["root"]["nodeId"]
    return int(driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"])


@pytest.mark.parametrize("kind", ["run", "sweep", "drill"])
def test_chinese_reports_render_chinese_glyphs(browser, folders, tmp_path, kind):
    from sim.output.report import write_report

    path = write_report(folders[kind], tmp_path / f"{kind}-zh.html", lang="zh")
    open_report(browser, path)
    assert_chinese_rendered(browser)
    assert_fits_and_no_inner_scroll(browser, scroll=kind == "run")
    if kind == "run":
        assert "一半事件在" in browser.find_element(By.ID, "headline").text


def test_sweep_report_in_chromium(browser, folders):
    check_page(browser, folders["sweep"] / "report.html", 2)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#kpi-table tbody tr")) == 2
    assert_fits_and_no_inner_scroll(browser)


def test_drill_report_animates_in_chromium(browser, folders):
    check_page(browser, folders["drill"] / "report.html", 1)
    assert browser.find_elements(By.CSS_SELECTOR, "#after-action tr.miss")
    play, slider, clock = (browser.find_element(By.ID, i) for i in ("play", "slider", "clock"))
    svg = browser.find_element(By.ID, "map")
    assert svg.tag_name == "svg" and svg.is_displayed()
    n_grids = len((folders["drill"] / "grids.csv").read_text().splitlines()) - 1
    assert len(svg.find_elements(By.CSS_SELECTOR, "circle.g")) == n_grids
    assert clock.text.startswith("08:00")

    def coloured():
        return browser.execute_script("return document.querySelectorAll('#map circle.s1, #map circle.s2,"
                                      " #map circle.s3').length")

    # play: the clock moves on by itself; pause: it stops
    play.click()
    WebDriverWait(browser, 10).until(lambda _d: not clock.text.startswith("08:00"))
    assert "Pause" in play.text
    play.click()
    assert "Play" in play.text
    stopped = clock.text
    browser.execute_script("return new Promise(r => setTimeout(r, 800))")
    assert clock.text == stopped
    # the slider: keys move it like a user would, and the clock follows
    slider.send_keys(Keys.HOME)
    assert clock.text.startswith("08:00") and coloured() == 0
    for _ in range(8):  # 40 min into the drill: I1 and I4 are open
        slider.send_keys(Keys.ARROW_RIGHT)
    assert clock.text.startswith("08:40")
    assert coloured() >= 2
    assert browser.execute_script("return document.querySelectorAll('#map g.inc.s1, #map g.inc.s2').length") >= 2
    assert "EMERGENCY MODE" in browser.find_element(By.ID, "map-status").text
    slider.send_keys(Keys.END)
    last = json.loads(browser.find_element(By.ID, "map-data").get_attribute("textContent"))["frames"][-1]
    assert clock.text == last["c"].replace("  ", " ") or clock.text.split()[0] == last["c"].split()[0]
    assert int(slider.get_attribute("value")) == int(slider.get_attribute("max"))
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
