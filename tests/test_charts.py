"""Server-drawn SVG charts: well-formed, accessible, to scale, in the clinic's zone, and inert."""

from __future__ import annotations

import colorsys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftercare.care.instruments import load_builtin
from aftercare.charts import (
    AXIS,
    BAND_TINTS,
    CALM_LAYOUT,
    CLINIC_LAYOUT,
    MUTED,
    POINT_PAD,
    SERIES_STYLES,
    Band,
    Marker,
    Point,
    Series,
    chart_table,
    describe,
    line_chart,
    score_bands,
)

NEW_YORK = ZoneInfo("America/New_York")
SVG = "{http://www.w3.org/2000/svg}"
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT = CLINIC_LAYOUT.left, WIDTH - CLINIC_LAYOUT.right
TOP, BOTTOM = CLINIC_LAYOUT.top, HEIGHT - CLINIC_LAYOUT.bottom
HOSTILE = "<script>alert(\"x\")</script> & 'friends'"


def at(*args: int) -> datetime:
    """A moment given in New York wall time, as UTC."""
    return datetime(*args, tzinfo=NEW_YORK).astimezone(UTC)


def chart(series, **options) -> str:
    settings = {
        "title": "PCL-5 totals",
        "description": "PCL-5 totals across infusions.",
        "y_min": 0,
        "y_max": 80,
        "y_label": "Total",
        "tz": NEW_YORK,
        "id_prefix": "pcl5",
        **options,
    }
    return str(line_chart(series, **settings))


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises unless the SVG is well-formed XML


def points(root: ET.Element) -> list[ET.Element]:
    return [c for c in root.iter(f"{SVG}circle") if "chart__point" in c.get("class", "")]


def tooltip(element: ET.Element) -> str:
    return element.find(f"{SVG}title").text


def texts(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text")]


def x_ticks(root: ET.Element) -> dict[str, float]:
    """Each x tick's first label -> its x."""
    ticks = {}
    for tick in root.iter(f"{SVG}g"):
        if tick.get("class") == "chart__tick":
            label = tick.find(f"{SVG}text")
            ticks[label.text] = float(label.get("x"))
    return ticks


def tick_contexts(root: ET.Element) -> list[str]:
    """The second line under the ticks that have one (a date or a year)."""
    return [
        labels[1].text
        for tick in root.iter(f"{SVG}g")
        if tick.get("class") == "chart__tick" and len(labels := tick.findall(f"{SVG}text")) > 1
    ]


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_on_white(colour: str) -> float:
    return 1.05 / (luminance(colour) + 0.05)


def is_reddish(colour: str) -> bool:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, _, saturation = colorsys.rgb_to_hls(r, g, b)
    return saturation > 0.1 and (hue < 25 / 360 or hue > 335 / 360)


PCL5 = Series(
    "PCL-5",
    [
        Point(at(2026, 11, 2, 10), 58),
        Point(at(2026, 11, 9, 10), 49),
        Point(at(2026, 11, 16, 10), 41),
    ],
)
PHQ9 = Series("PHQ-9", [Point(at(2026, 11, 2, 10), 19), Point(at(2026, 11, 16, 10), 12)])


def test_it_is_an_image_named_by_its_title_and_description():
    root = parse(chart([PCL5]))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%" and root.get("viewBox") == f"0 0 {WIDTH} {HEIGHT}"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    assert (title.get("id"), desc.get("id")) == ("pcl5-title", "pcl5-desc")
    assert title.text == "PCL-5 totals"
    assert desc.text.startswith("PCL-5 totals across infusions.")


def test_the_description_ends_with_a_plain_summary_of_each_series():
    desc = parse(chart([PCL5, PHQ9])).find(f"{SVG}desc").text
    assert desc.endswith(
        "PCL-5, Nov 2 to Nov 16: first 58, latest 41. PHQ-9, Nov 2 to Nov 16: first 19, latest 12."
    )
    assert describe([Series("PHQ-9", [Point(at(2026, 11, 2, 10), 7)])], NEW_YORK) == (
        "PHQ-9, Nov 2: 7."
    )
    plain = parse(chart([PCL5], summarize=False)).find(f"{SVG}desc").text
    assert plain == "PCL-5 totals across infusions."


@pytest.mark.parametrize("prefix", ["", "1chart", 'x" onload="alert(1)', "a b"])
def test_it_refuses_an_id_prefix_that_is_not_a_plain_name(prefix):
    with pytest.raises(ValueError, match="id_prefix"):
        chart([PCL5], id_prefix=prefix)


def test_it_draws_one_dot_per_point_and_a_line_through_them():
    root = parse(chart([PCL5, PHQ9]))
    assert len(points(root)) == len(PCL5.points) + len(PHQ9.points)
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    single = parse(chart([PCL5]))
    assert len(list(single.iter(f"{SVG}circle"))) == len(PCL5.points)  # no legend for one


def test_values_are_to_scale_from_the_bottom_to_the_top_of_the_plot():
    series = Series(
        "Total",
        [Point(at(2026, 11, 2, 10), 80), Point(at(2026, 11, 3, 10), 0), Point(at(2026, 11, 4), 20)],
    )
    top, bottom, quarter = (float(c.get("cy")) for c in points(parse(chart([series]))))
    assert top == TOP
    assert bottom == BOTTOM
    assert quarter == pytest.approx(BOTTOM - (BOTTOM - TOP) / 4, abs=0.05)


def test_a_value_off_the_scale_sits_on_its_edge_but_says_what_it_is():
    series = Series("Total", [Point(at(2026, 11, 2, 10), 95), Point(at(2026, 11, 3, 10), -4)])
    high, low = points(parse(chart([series])))
    assert float(high.get("cy")) == TOP and tooltip(high).endswith(": 95")
    assert float(low.get("cy")) == BOTTOM and tooltip(low).endswith(": -4")


def test_points_run_left_to_right_in_time_order_whatever_order_they_come_in():
    shuffled = Series("Total", [PCL5.points[2], PCL5.points[0], PCL5.points[1]])
    dots = points(parse(chart([shuffled])))
    xs = [float(d.get("cx")) for d in dots]
    assert xs == sorted(xs)
    assert xs[0] == LEFT + POINT_PAD and xs[-1] == RIGHT - POINT_PAD
    assert [tooltip(d) for d in dots] == [
        "Nov 2, 10:00 AM: 58",
        "Nov 9, 10:00 AM: 49",
        "Nov 16, 10:00 AM: 41",
    ]


def test_an_infusion_marker_is_drawn_where_it_falls_between_points():
    infusion = Marker(at(2026, 11, 9, 10), "Infusion 2")
    series = Series("Total", [Point(at(2026, 11, 2, 10), 50), Point(at(2026, 11, 16, 10), 40)])
    root = parse(chart([series], markers=[infusion]))
    first, last = (float(d.get("cx")) for d in points(root))
    group = root.find(f".//{SVG}g[@class='chart__marker']")
    line = group.find(f"{SVG}line")
    assert (
        float(line.get("x1")) == float(line.get("x2")) == pytest.approx((first + last) / 2, abs=0.1)
    )
    assert (float(line.get("y1")), float(line.get("y2"))) == (TOP, BOTTOM)
    assert line.get("stroke-dasharray")
    assert tooltip(group) == "Infusion 2: Nov 9, 10:00 AM"
    assert "Infusion 2" in texts(group)


def test_markers_widen_the_time_axis_when_they_fall_outside_the_points():
    series = Series("Total", [Point(at(2026, 11, 9, 10), 50), Point(at(2026, 11, 16, 10), 40)])
    root = parse(chart([series], markers=[Marker(at(2026, 11, 2, 10), "Infusion 1")]))
    marker = root.find(f".//{SVG}g[@class='chart__marker']/{SVG}line")
    assert float(marker.get("x1")) == LEFT + POINT_PAD
    first, last = (float(d.get("cx")) for d in points(root))
    assert first == pytest.approx((LEFT + RIGHT) / 2, abs=0.1) and last == RIGHT - POINT_PAD


def test_hostile_text_comes_out_inert():
    series = Series(
        HOSTILE, [Point(at(2026, 11, 2, 10), 3, HOSTILE), Point(at(2026, 11, 3), 2)], HOSTILE
    )
    svg = chart(
        [series, PHQ9],
        title=HOSTILE,
        description=HOSTILE,
        y_label=HOSTILE,
        markers=[Marker(at(2026, 11, 2, 12), HOSTILE)],
        bands=[Band(0, 10, HOSTILE, HOSTILE)],
    )
    root = parse(svg)
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    assert root.find(f"{SVG}title").text == HOSTILE  # escaped, not lost
    assert HOSTILE in texts(root)  # the legend, axis label, marker and band
    assert any(tooltip(d).startswith(HOSTILE) for d in points(root))
    classes = [e.get("class") for e in root.iter() if e.get("class")]
    assert any(c.endswith(HOSTILE) for c in classes)  # an attribute value, not markup


def test_control_characters_in_a_name_cannot_break_the_xml():
    parse(chart([Series("Nausea\x00\x1b", PCL5.points)], empty_text="x\x07"))
    parse(chart([], empty_text="Nothing\x01 yet"))


def test_there_are_no_inline_styles_for_the_content_security_policy():
    svg = chart(
        [PCL5, PHQ9],
        markers=[Marker(at(2026, 11, 5, 14), "Infusion")],
        bands=[Band(0, 33, "Below cut-off"), Band(33, 80, "Probable PTSD", "severe")],
    )
    for calm in (False, True):
        root = parse(svg if not calm else chart([PCL5], calm=True))
        assert not [e for e in root.iter() if "style" in e.attrib]
        assert not [e for e in root.iter() if e.tag == f"{SVG}style"]
        assert not [name for e in root.iter() for name in e.attrib if name.startswith("on")]


def test_an_empty_chart_says_there_is_no_data_yet():
    root = parse(chart([], markers=[Marker(at(2026, 11, 2, 10), "Infusion 1")]))
    assert "No data yet" in texts(root)
    assert points(root) == [] and root.find(f"{SVG}title").text == "PCL-5 totals"
    assert "No data yet" in texts(parse(chart([Series("PCL-5", [])])))
    calm = parse(chart([], calm=True, empty_text="Your scores will show here."))
    assert texts(calm) == ["Your scores will show here."]


def test_one_point_or_all_at_the_same_moment_sits_in_the_middle():
    one = parse(chart([Series("PCL-5", [Point(at(2026, 11, 2, 10), 40)])]))
    (dot,) = points(one)
    assert float(dot.get("cx")) == (LEFT + RIGHT) / 2
    assert one.find(f".//{SVG}polyline") is None
    assert tooltip(dot) == "Nov 2, 10:00 AM: 40"
    same = Series("PHQ-9", [Point(at(2026, 11, 2, 10), 9)])
    both = parse(chart([one_series := Series("PCL-5", [Point(at(2026, 11, 2, 10), 40)]), same]))
    assert {float(d.get("cx")) for d in points(both)} == {(LEFT + RIGHT) / 2}
    assert one_series.name in texts(both)


def test_times_show_in_the_clinics_zone_across_the_clocks_going_forward():
    # Clocks in New York go from 2:00 EST to 3:00 EDT on March 8, 2026 (07:00 UTC).
    series = Series(
        "Nausea",
        [
            Point(datetime(2026, 3, 8, 4, 30, tzinfo=UTC), 1),  # Mar 7, 11:30 PM EST
            Point(datetime(2026, 3, 8, 6, 30, tzinfo=UTC), 2),  # Mar 8, 1:30 AM EST
            Point(datetime(2026, 3, 8, 8, 30, tzinfo=UTC), 3),  # Mar 8, 4:30 AM EDT
        ],
    )
    root = parse(chart([series], y_max=3))
    assert [tooltip(d) for d in points(root)] == [
        "Mar 7, 11:30 PM: 1",
        "Mar 8, 1:30 AM: 2",
        "Mar 8, 4:30 AM: 3",
    ]
    ticks = x_ticks(root)
    assert list(ticks) == ["12 AM", "1 AM", "3 AM", "4 AM"]  # there is no 2 AM that night
    # 1 AM EST to 3 AM EDT is one real hour, drawn as long as 12 AM to 1 AM.
    assert ticks["3 AM"] - ticks["1 AM"] == pytest.approx(ticks["1 AM"] - ticks["12 AM"], abs=0.2)
    assert tick_contexts(root) == ["Mar 8"]
    in_utc = parse(chart([series], y_max=3, tz=UTC))
    assert tooltip(points(in_utc)[0]) == "Mar 8, 4:30 AM: 1"


def test_a_two_hourly_axis_skips_the_hour_that_does_not_exist_that_night():
    # 10 PM EST to 7 AM EDT: eight real hours; 2 AM never happens, and 3 AM is not round.
    night = Series(
        "Nausea",
        [
            Point(datetime(2026, 3, 8, 3, 0, tzinfo=UTC), 1),
            Point(datetime(2026, 3, 8, 11, 0, tzinfo=UTC), 0),
        ],
    )
    root = parse(chart([night], y_max=3))
    assert list(x_ticks(root)) == ["10 PM", "12 AM", "4 AM", "6 AM"]
    assert tick_contexts(root) == ["Mar 7", "Mar 8"]


def test_date_ticks_name_the_year_only_when_the_chart_spans_two():
    across = Series("PCL-5", [Point(at(2026, 11, 2, 10), 50), Point(at(2027, 2, 1, 10), 30)])
    root = parse(chart([across]))
    assert tick_contexts(root)[:2] == ["2026", "2027"]
    assert tooltip(points(root)[0]) == "Nov 2, 2026, 10:00 AM: 50"
    assert tick_contexts(parse(chart([PCL5]))) == []


def test_it_never_draws_more_date_ticks_than_the_layout_allows():
    start = at(2026, 1, 1, 9)
    for days in (0.01, 0.2, 1, 3, 10, 40, 200, 800):
        series = Series("x", [Point(start, 1), Point(start + timedelta(days=days), 2)])
        for calm, layout in ((False, CLINIC_LAYOUT), (True, CALM_LAYOUT)):
            ticks = x_ticks(parse(chart([series], calm=calm)))
            assert 1 <= len(ticks) <= layout.max_x_ticks, (days, calm, ticks)


def test_y_ticks_are_round_numbers_and_can_be_given():
    root = parse(chart([PCL5]))
    assert [t for t in texts(root) if t.isdigit()] == ["0", "20", "40", "60", "80"]
    severity = parse(chart([PCL5], y_max=3, y_ticks=[0, 1, 2, 3]))
    assert [t for t in texts(severity) if t.isdigit()] == ["0", "1", "2", "3"]


def test_a_legend_appears_only_when_there_is_more_than_one_series():
    def legend(root):
        return [g for g in root.iter(f"{SVG}g") if g.get("class") == "chart__legend"]

    assert legend(parse(chart([PCL5]))) == []
    root = parse(chart([PCL5, PHQ9]))
    (box,) = legend(root)
    assert [t.text for t in box.iter(f"{SVG}text")] == ["PCL-5", "PHQ-9"]
    assert float(root.get("viewBox").split()[3]) > HEIGHT  # the legend gets its own room
    assert [tooltip(d) for d in points(root)][-1] == "PHQ-9, Nov 16, 10:00 AM: 12"


def test_series_differ_by_more_than_colour_and_every_line_is_easy_to_see():
    assert len({(s.dash, s.hollow) for s in SERIES_STYLES}) == len(SERIES_STYLES)
    for style in SERIES_STYLES:
        assert contrast_on_white(style.colour) >= 4.5, style
        assert not is_reddish(style.colour), style
    assert contrast_on_white(MUTED) >= 4.5 and contrast_on_white(AXIS) >= 3
    root = parse(chart([PCL5, PHQ9]))
    first, second = root.iter(f"{SVG}polyline")
    assert first.get("stroke") != second.get("stroke")
    assert first.get("stroke-dasharray") != second.get("stroke-dasharray")


def test_the_calm_chart_is_larger_quieter_and_has_no_red():
    bands = [Band(0, 5, "Minimal", "minimal"), Band(20, 27, "Severe", "severe")]
    clinic = parse(chart([PHQ9], y_max=27, bands=bands))
    calm = parse(chart([PHQ9], y_max=27, bands=bands, calm=True))

    def band_fills(root):
        return [r.get("fill") for r in root.iter(f"{SVG}rect") if "chart__band" in r.get("class")]

    assert any(is_reddish(fill) for fill in band_fills(clinic))  # so the next line can fail
    assert band_fills(calm) and not any(is_reddish(fill) for fill in band_fills(calm))
    assert not [e for e in calm.iter() if "severe" in e.get("class", "")]
    assert float(calm.get("font-size")) > float(clinic.get("font-size"))
    assert not [e for e in calm.iter() if e.get("class") == "chart__grid"]
    assert [e for e in clinic.iter() if e.get("class") == "chart__grid"]
    assert "chart--calm" in calm.get("class")


@pytest.mark.parametrize(
    "bad",
    [
        {"series": [Series("x", [Point(datetime(2026, 11, 2, 10), 1)])]},
        {"markers": [Marker(datetime(2026, 11, 2, 10), "Infusion")]},
        {"series": [Series("x", [Point(at(2026, 11, 2, 10), float("nan"))])]},
        {"y_max": 0},
    ],
)
def test_it_refuses_naive_times_and_impossible_values(bad):
    with pytest.raises(ValueError):
        chart(bad.pop("series", [PCL5]), **bad)


def test_the_table_lists_every_value_and_marker_in_time_order_in_the_clinics_zone():
    infusion = Marker(at(2026, 11, 5, 14), "Infusion 2")
    noted = Series("Nausea", [Point(at(2026, 11, 5, 19, 5), 2, "Quite a bit")])
    rows = chart_table([PCL5, noted], NEW_YORK, markers=[infusion])
    assert [(r.when, r.series, r.value, r.note) for r in rows] == [
        ("Nov 2, 10:00 AM", "PCL-5", "58", ""),
        ("Nov 5, 2:00 PM", "Infusion 2", "", ""),
        ("Nov 5, 7:05 PM", "Nausea", "2", "Quite a bit"),
        ("Nov 9, 10:00 AM", "PCL-5", "49", ""),
        ("Nov 16, 10:00 AM", "PCL-5", "41", ""),
    ]
    assert rows[0].at.tzinfo == NEW_YORK and rows[0].at.hour == 10
    # Templates escape the cells; the table keeps the text as it was given.
    assert chart_table([Series(HOSTILE, PCL5.points[:1])], NEW_YORK)[0].series == HOSTILE


def test_a_questionnaires_bands_meet_half_way_between_whole_totals():
    phq9 = load_builtin()["phq9"]
    bands = score_bands(phq9.scoring)

    assert [(b.low, b.high, b.label) for b in bands] == [
        (0, 4.5, "None–minimal"),
        (4.5, 9.5, "Mild"),
        (9.5, 14.5, "Moderate"),
        (14.5, 19.5, "Moderately severe"),
        (19.5, 27, "Severe"),
    ]
    # The clinic's chart tints each band by its name; the calm one never does.
    assert [BAND_TINTS[b.css_class] for b in bands][-1] == BAND_TINTS["severe"]
    root = parse(chart([PHQ9], y_max=27, bands=bands))
    rects = [r for r in root.iter(f"{SVG}rect") if "chart__band" in r.get("class", "")]
    tops = [float(r.get("y")) for r in rects]
    bottoms = [float(r.get("y")) + float(r.get("height")) for r in rects]
    # No gap and no overlap between one band and the next.
    assert all(abs(bottom - top) < 0.11 for top, bottom in zip(tops, bottoms[1:], strict=False))


def test_band_labels_are_translated_with_their_context():
    spanish = {"questionnaire band\x04Mild": "Leve"}
    bands = score_bands(load_builtin()["gad7"].scoring, lambda m: spanish.get(m, m))

    assert [b.label for b in bands] == ["Minimal", "Leve", "Moderate", "Severe"]


def test_a_band_label_moves_aside_for_the_dot_it_would_cover():
    bands = [Band(0, 13.5, "Lower", "mild"), Band(13.5, 27, "Higher", "severe")]
    # The latest dot sits at the right edge, in the middle of the lower band.
    series = Series("PHQ-9", [Point(at(2026, 11, 2, 10), 20), Point(at(2026, 11, 9, 10), 7)])
    root = parse(chart([series], y_max=27, bands=bands, calm=True, width=400, height=260))

    labels = {
        t.text: (float(t.get("x")), t.get("text-anchor"))
        for t in root.iter(f"{SVG}text")
        if t.get("class") == "chart__band-label"
    }
    # The higher band holds the first dot, on the left: its label stays on the right.
    assert labels["Higher"] == (400 - CALM_LAYOUT.right - 4, "end")
    # The lower band's label would sit under the latest dot, so it goes to the left.
    assert labels["Lower"] == (CALM_LAYOUT.left + 4, "start")
