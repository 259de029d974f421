"""The server-rendered SVG charts: well-formed XML, accessible (role, title, desc, a title per bar), carrying
the numbers, and self-contained (no script, no external reference)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from django.utils import translation

from digitalpost.stats.chart import bucket_label, distribution_chart, nice_ceiling, weekly_chart
from digitalpost.stats.figures import Bucket, Week

SVG = "{http://www.w3.org/2000/svg}"
WEEKS = [Week(date(2025, 4, 7), 3, 3, 3), Week(date(2025, 4, 14), 12, 7, 1), Week(date(2025, 4, 21), 2, 0, 0)]
BUCKETS = [Bucket(0, 1, 0), Bucket(1, 8, 2), Bucket(8, 24, 0), Bucket(24, 72, 0), Bucket(72, 168, 1),
           Bucket(168, 336, 2), Bucket(336, None, 0)]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output)


def bar_values(root: ET.Element) -> list[str]:
    return [rect.get("data-value") for rect in root.iter(f"{SVG}rect") if rect.get("data-value") is not None]


def assert_self_contained_and_labelled(root: ET.Element) -> None:
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert not list(root.iter(f"{SVG}script"))
    for element in root.iter():
        for name, value in element.attrib.items():
            assert "href" not in name
            assert name == "xmlns" or not value.startswith(("http:", "https:", "//"))


def test_weekly_chart_is_well_formed_and_carries_every_number():
    with translation.override("en"):
        root = parse(weekly_chart(WEEKS))
    assert_self_contained_and_labelled(root)
    assert bar_values(root) == ["3", "3", "12", "7", "2", "0"]
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "week 16 2025: 12 received" in titles
    assert "week 16 2025: 7 answered" in titles
    assert root.find(f"{SVG}desc").text == "17 inquiries received over 3 weeks; 10 of them answered."


def test_weekly_chart_axis_ends_on_a_round_number_above_the_highest_week():
    root = parse(weekly_chart(WEEKS))
    axis = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert axis == ["0", "5", "10", "15"]


def test_distribution_chart_labels_buckets_and_counts_in_danish_too():
    with translation.override("en"):
        root = parse(distribution_chart(BUCKETS))
        assert [bucket_label(b) for b in BUCKETS] == [
            "up to 1 hour", "1 hour – 8 hours", "8 hours – 1 day", "1 day – 3 days", "3 days – 7 days",
            "7 days – 14 days", "over 14 days"]
    assert_self_contained_and_labelled(root)
    assert bar_values(root) == ["0", "2", "0", "0", "1", "2", "0"]
    assert "5 answers by time taken" in root.find(f"{SVG}desc").text
    with translation.override("da"):
        parse(distribution_chart(BUCKETS))  # still well-formed with Danish text


def test_empty_charts_are_still_valid_svg():
    assert bar_values(parse(weekly_chart([]))) == []
    assert bar_values(parse(distribution_chart([Bucket(0, 1, 0)]))) == ["0"]


def test_nice_ceiling_rounds_up_to_one_two_or_five_steps():
    assert [nice_ceiling(n) for n in (0, 1, 3, 7, 12, 99, 1234)] == [
        (1, 1), (1, 1), (3, 1), (8, 2), (15, 5), (100, 50), (1500, 500)]
