"""One set of labels: every KPI the experiment layer reports has a name, a unit and a meaning in English and
in Chinese, so a KPI added to `kpi_names()` fails here until it is labelled."""

from __future__ import annotations

import pytest

from sim.experiment import kpi_names
from sim.output import fmt
from sim.output.fonts import is_cjk
from sim.output.labels import LANGS, TERMS, kpi_label, kpi_name
from sim.output.messages import M


@pytest.mark.parametrize("kpi", kpi_names())
def test_every_kpi_has_an_english_and_a_chinese_label(kpi):
    for lang in LANGS:
        lab = kpi_label(kpi, lang)
        assert lab is not None, f"{kpi} has no {lang} label (sim/output/labels.py)"
        assert lab.name and lab.unit and lab.meaning, (kpi, lang, lab)
        if lang == "zh":
            assert any(is_cjk(c) for c in lab.name + lab.meaning), (kpi, lab)
    assert kpi_label(kpi, "en").name != kpi_label(kpi, "zh").name


def test_prefixes_and_families_compose_and_unknown_names_do_not_pretend():
    assert kpi_name("emergency.response_p90_min") == "emergency 90th-percentile response"
    assert kpi_name("hazard.within_target_share", "zh") == "灾害达标率"
    assert kpi_name("utilisation.agency_team", "zh") == "机关应急队利用率"
    assert kpi_label("emergency.hazard.incidents") is None  # one prefix at most
    assert kpi_label("utilisation.nobody") is None
    assert kpi_name("a_kpi_added_later_min") == "a_kpi_added_later_min"  # shown by name, never blank


def test_every_message_and_term_is_in_both_languages():
    for key, (en, zh) in M.items():
        assert en and zh, key
        assert en.count("{") == zh.count("{"), key  # the same placeholders
    for group, names in TERMS.items():
        for name, (en, zh) in names.items():
            assert en and zh and any(is_cjk(c) for c in zh), (group, name)


def test_numbers_as_people_read_them():
    assert fmt.number("duration", 2.8833) == "2.9"
    assert fmt.number("share", 0.712) == "71.2 %" and fmt.number("share", 0.712, "zh") == "71.2%"
    assert fmt.number("time", 910) == "day 1 15:10" and fmt.number("time", 1599, "zh") == "第2天 02:39"
    assert fmt.number("count", 1277.0) == "1,277" and fmt.number("count", 0.7) == "0.7"
    assert fmt.interval("count", -2.2, 3.5) == "0\u20133.5"  # a count's interval does not go below zero
    assert fmt.difference("share", -0.015) == "\u22121.5 pp" and fmt.difference("duration", 2.34) == "+2.3 min"
