"""The site loader: wrong files are reported with file, line and field path; the model site is complete."""

from __future__ import annotations

import codecs
import itertools
import math
import unicodedata
from pathlib import Path

import pytest

from devices.contract import Kind
from devices.site import Position, Site
from devices.site_loader import (
    MODEL_SITE_PATH,
    SiteError,
    format_path,
    load_model_site,
    load_site,
    parse_path,
    parse_site,
)

MINI = """\
# A small site used by the tests below: every table once, two lights, a speaker and a camera.
id = "khu-mau"
name = "Khu mẫu"
commune = "xã Sơn Vi"
district = "huyện Lâm Thao"
province = "tỉnh Phú Thọ"
position = { lat = 21.33, lon = 105.28 }

[[roads]]
id = "duong-1"
name = "Đường 1"
path = [
  { lat = 21.328, lon = 105.28 },
  { lat = 21.332, lon = 105.28 },
]

[[alleys]]
id = "ngo-1"
name = "Ngõ 1"
road = "duong-1"
path = [{ lat = 21.329, lon = 105.28 }, { lat = 21.329, lon = 105.279 }]

[[zones]]
id = "vung-nam"
name = "Vùng phía Nam"

[[cabinets]]
id = "tu-dien-1"
name = "Tủ điện số 1"
position = { lat = 21.328, lon = 105.28 }

[[gates]]
id = "cong-chinh"
name = "Cổng chính"
position = { lat = 21.328, lon = 105.28 }

[[devices]]
id = "den-ngo1-01"
kind = "light"
name = "Đèn ngõ 1 số 1"
group = "ngo-1"
cabinet = "tu-dien-1"
position = { lat = 21.329, lon = 105.2795 }

[[devices]]
id = "den-duong1-01"
kind = "light"
name = "Đèn đường 1 số 1"
group = "duong-1"
cabinet = "tu-dien-1"
position = { lat = 21.3295, lon = 105.28 }

[[devices]]
id = "loa-nam-1"
kind = "speaker"
name = "Loa phía Nam 1"
group = "vung-nam"
position = { lat = 21.329, lon = 105.2799 }

[[devices]]
id = "cam-cong-chinh-1"
kind = "camera"
name = "Camera cổng chính 1"
group = "cong-chinh"
position = { lat = 21.328, lon = 105.2801 }
"""


def line_with(needle: str, text: str = MINI) -> int:
    """The 1-based number of the one line of `text` that contains `needle`."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}"
    return found[0]


def edit(old: str, new: str) -> str:
    assert MINI.count(old) == 1, old
    return MINI.replace(old, new)


def site_error(text: str, source: str = "khu-mau.toml") -> SiteError:
    with pytest.raises(SiteError) as caught:
        parse_site(text, source)
    return caught.value


def test_the_small_site_loads_with_its_helpers() -> None:
    site = parse_site(MINI)
    assert [d.id for d in site.devices_of(Kind.LIGHT)] == ["den-ngo1-01", "den-duong1-01"]
    assert [d.id for d in site.devices_of("camera")] == ["cam-cong-chinh-1"]
    # A road's lights include the lights of the alleys off it; an alley's are only its own.
    assert {d.id for d in site.lights_in("duong-1")} == {"den-ngo1-01", "den-duong1-01"}
    assert [d.id for d in site.lights_in("ngo-1")] == ["den-ngo1-01"]
    assert site.lights_in("vung-nam") == []
    cabinet = site.cabinet_of("den-ngo1-01")
    assert cabinet is not None and cabinet.id == "tu-dien-1"
    assert site.cabinet_of("loa-nam-1") is None
    assert site.cabinet_of("khong-co") is None
    assert [d.id for d in site.fed_by("tu-dien-1")] == ["den-ngo1-01", "den-duong1-01"]


def test_a_toml_syntax_error_names_the_file_and_line() -> None:
    error = site_error(edit('name = "Ngõ 1"', 'name "Ngõ 1"'))
    assert error.line == line_with('name = "Ngõ 1"')
    assert error.path == ""
    assert str(error).startswith(f"khu-mau.toml line {error.line}: TOML syntax error: ")
    assert "column" in str(error)


def test_a_syntax_error_at_the_end_of_the_document_points_at_the_last_line() -> None:
    error = site_error(MINI + "[[devices")
    assert error.line == MINI.count("\n") + 1
    assert "TOML syntax error" in str(error)


def test_an_unknown_key_is_refused_naming_key_and_line() -> None:
    error = site_error(edit('name = "Loa phía Nam 1"\n', 'name = "Loa phía Nam 1"\ncolour = "vàng"\n'))
    assert error.line == line_with('name = "Loa phía Nam 1"') + 1
    assert error.path == "devices[2].colour"
    assert "unknown key 'colour'" in str(error)


def test_an_unknown_top_level_key_is_refused() -> None:
    error = site_error(edit('province = "tỉnh Phú Thọ"\n', 'province = "tỉnh Phú Thọ"\nprovinse = "x"\n'))
    assert (error.line, error.path) == (line_with("province =") + 1, "provinse")


@pytest.mark.parametrize(
    ("old", "new", "path", "expected"),
    [
        ("lat = 21.3295, lon", 'lat = "21.3295", lon', "devices[1].position.lat", "valid number"),
        ('name = "Ngõ 1"', "name = 1", "alleys[0].name", "valid string"),
        ("lat = 21.3295, lon", "lat = nan, lon", "devices[1].position.lat", "finite number"),
        ('kind = "speaker"', 'kind = "Speaker"', "devices[2].kind", "'light', 'speaker' or 'camera'"),
        ('road = "duong-1"', "road = true", "alleys[0].road", "valid string"),
        (
            "lat = 21.33, lon = 105.28",
            "lat = 121.33, lon = 105.28",
            "position.lat",
            "less than or equal to 90",
        ),
    ],
)
def test_a_wrong_type_or_value_names_the_field_and_line(old: str, new: str, path: str, expected: str) -> None:
    error = site_error(edit(old, new))
    assert (error.line, error.path) == (line_with(old), path)
    assert expected in str(error)


def test_an_element_of_a_multiline_path_is_reported_on_its_own_line() -> None:
    error = site_error(edit("{ lat = 21.332, lon = 105.28 }", "{ lat = 21.332, lon = 'x' }"))
    assert (error.line, error.path) == (line_with("lat = 21.332,"), "roads[0].path[1].lon")


@pytest.mark.parametrize("bad", ["Den/7", "a+b", "ngo#1", "Den-7", "den 7", "-den", "", "a" * 33, "đèn-7"])
def test_a_bad_device_id_is_refused(bad: str) -> None:
    error = site_error(edit('id = "loa-nam-1"', f'id = "{bad}"'))
    assert (error.line, error.path) == (line_with('id = "loa-nam-1"'), "devices[2].id")
    assert f"{bad!r} is not a valid id" in str(error)


def test_a_bad_site_or_road_id_is_refused() -> None:
    assert site_error(edit('id = "khu-mau"', 'id = "Khu/Mau"')).path == "id"
    error = site_error(edit('id = "duong-1"', 'id = "a+b"'))
    assert (error.line, error.path) == (line_with('id = "duong-1"'), "roads[0].id")


def test_a_duplicate_device_id_names_the_second_one() -> None:
    error = site_error(edit('id = "loa-nam-1"', 'id = "den-ngo1-01"'))
    assert (error.line, error.path) == (line_with('id = "loa-nam-1"'), "devices[2].id")
    assert "'den-ngo1-01' is used twice (first at devices[0])" in str(error)


def test_groups_share_one_id_space() -> None:
    error = site_error(edit('id = "vung-nam"', 'id = "ngo-1"'))
    assert (error.line, error.path) == (line_with('id = "vung-nam"'), "zones[0].id")


def test_an_unknown_group_is_refused() -> None:
    line = line_with('group = "ngo-1"')
    error = site_error(edit('group = "ngo-1"', 'group = "ngo-99"'))
    assert str(error) == f"khu-mau.toml line {line}: devices[0].group: 'ngo-99' is not a known group for a light"


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ('group = "ngo-1"', 'group = "vung-nam"', "devices[0].group"),  # a light in a zone
        ('group = "vung-nam"', 'group = "duong-1"', "devices[2].group"),  # a speaker on a road
        ('group = "cong-chinh"', 'group = "vung-nam"', "devices[3].group"),  # a camera in a zone
    ],
)
def test_a_group_of_the_wrong_kind_is_refused(old: str, new: str, path: str) -> None:
    error = site_error(edit(old, new))
    assert (error.line, error.path) == (line_with(old), path)
    assert "is not a known group for a" in str(error)


def test_an_alley_on_an_unknown_road_is_refused() -> None:
    error = site_error(edit('road = "duong-1"', 'road = "duong-99"'))
    assert (error.line, error.path) == (line_with('road = "duong-1"'), "alleys[0].road")
    assert "unknown road 'duong-99'" in str(error)


def test_cabinets_feed_lights_only_and_must_exist() -> None:
    speaker = site_error(edit('group = "vung-nam"\n', 'group = "vung-nam"\ncabinet = "tu-dien-1"\n'))
    assert (speaker.line, speaker.path) == (line_with('group = "vung-nam"') + 1, "devices[2].cabinet")
    assert "only lights" in str(speaker)
    first_light = 'cabinet = "tu-dien-1"\nposition = { lat = 21.329,'
    unknown = site_error(edit(first_light, first_light.replace("tu-dien-1", "tu-9")))
    assert unknown.path == "devices[0].cabinet"
    assert "unknown cabinet 'tu-9'" in str(unknown)


def test_a_missing_key_is_reported_at_its_table_header() -> None:
    error = site_error(edit('name = "Loa phía Nam 1"\n', ""))
    assert (error.line, error.path) == (line_with('id = "loa-nam-1"') - 1, "devices[2].name")
    assert "required key 'name' is missing" in str(error)


def test_every_problem_is_reported_in_line_order() -> None:
    # pydantic checks a device's position before its cabinet; the file has the cabinet first.
    first_light = 'cabinet = "tu-dien-1"\nposition = { lat = 21.329,'
    text = edit(first_light, 'cabinet = "Tu/1"\nposition = { lat = "x",').replace('name = "Ngõ 1"', "name = 1")
    error = site_error(text)
    paths = ["alleys[0].name", "devices[0].cabinet", "devices[0].position.lat"]
    assert [p.path for p in error.problems] == paths
    assert [p.line for p in error.problems] == sorted(p.line for p in error.problems)
    assert str(error).count("khu-mau.toml line ") == 3


def test_dates_are_refused_at_their_line() -> None:
    error = site_error(edit('name = "Ngõ 1"', "name = 2024-01-01"))
    assert (error.line, error.path) == (line_with('name = "Ngõ 1"'), "alleys[0].name")


def test_a_position_written_as_a_sub_table_is_located_too() -> None:
    text = edit(
        'group = "cong-chinh"\nposition = { lat = 21.328, lon = 105.2801 }',
        'group = "cong-chinh"\n\n[devices.position]\nlat = 21.328\nlon = "x"',
    )
    error = site_error(text)
    assert (error.line, error.path) == (text.splitlines().index('lon = "x"') + 1, "devices[3].position.lon")


def test_names_are_stored_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Ngõ 1")
    assert decomposed != "Ngõ 1"
    site = parse_site(edit('name = "Ngõ 1"', f'name = "{decomposed}"'))
    assert site.alleys[0].name == "Ngõ 1"


def test_load_site_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "son-vi-khu-10.toml"
    path.write_text(edit('group = "ngo-1"', 'group = "ngo-99"'), encoding="utf-8")
    line = line_with('group = "ngo-1"')
    with pytest.raises(SiteError) as caught:
        load_site(path)
    assert str(caught.value).startswith(f"{path} line {line}: devices[0].group: ")


def test_load_site_refuses_text_that_is_not_utf8_and_accepts_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "khu.toml"
    path.write_bytes(MINI.encode("utf-8").replace("Ngõ 1".encode(), b"Ng\xf5 1"))  # Latin-1, not UTF-8
    with pytest.raises(SiteError, match="not UTF-8") as caught:
        load_site(path)
    assert caught.value.line == line_with('name = "Ngõ 1"')
    path.write_bytes(codecs.BOM_UTF8 + MINI.encode("utf-8"))
    assert load_site(path).id == "khu-mau"


def test_field_paths_round_trip() -> None:
    for loc in [("devices", 3, "group"), ("roads", 0, "path", 12, "lat"), ("id",)]:
        assert parse_path(format_path(loc)) == loc
    assert format_path(("devices", 3, "group")) == "devices[3].group"


# --- the model site: khu dân cư số 10, xã Sơn Vi


@pytest.fixture(scope="module")
def model() -> Site:
    return load_model_site()


def test_the_model_site_is_son_vi_khu_10(model: Site) -> None:
    assert model.id == "son-vi-khu-10"
    assert (model.name, model.commune, model.district, model.province) == (
        "Khu dân cư số 10",
        "xã Sơn Vi",
        "huyện Lâm Thao",
        "tỉnh Phú Thọ",
    )
    assert abs(model.position.lat - 21.33) < 0.02 and abs(model.position.lon - 105.28) < 0.02


def test_the_model_site_has_its_roads_alleys_and_lights(model: Site) -> None:
    lights = model.devices_of(Kind.LIGHT)
    assert len(model.roads) >= 4 and len(model.alleys) >= 8 and len(lights) >= 60
    for group in [r.id for r in model.roads] + [a.id for a in model.alleys]:
        assert [d for d in lights if d.group == group], f"{group} has no lights of its own"


def test_every_model_light_is_fed_by_a_cabinet(model: Site) -> None:
    assert len(model.cabinets) >= 3
    for light in model.devices_of(Kind.LIGHT):
        assert model.cabinet_of(light.id) is not None, light.id
    assert all(model.fed_by(c.id) for c in model.cabinets)


def test_the_model_site_has_speakers_in_zones_and_cameras_at_gates(model: Site) -> None:
    speakers = model.devices_of(Kind.SPEAKER)
    cameras = model.devices_of(Kind.CAMERA)
    assert len(speakers) >= 4 and len({s.group for s in speakers}) >= 2
    assert len(cameras) >= 6
    assert {c.group for c in cameras} <= {g.id for g in model.gates}
    assert "Cổng chính" in {g.name for g in model.gates}


def test_the_model_site_is_compact_and_its_lights_stand_on_their_paths(model: Site) -> None:
    paths = {r.id: r.path for r in model.roads} | {a.id: a.path for a in model.alleys}
    for device in model.devices:
        assert metres(model.position.lat, model.position.lon, device.position.lat, device.position.lon) < 600
    for light in model.devices_of(Kind.LIGHT):
        assert distance_to_path(light.position.lat, light.position.lon, paths[light.group]) < 5, light.id


def test_the_model_file_is_nfc_and_commented() -> None:
    text = MODEL_SITE_PATH.read_text(encoding="utf-8")
    assert text == unicodedata.normalize("NFC", text)
    assert text.startswith("# Khu dân cư số 10, xã Sơn Vi, huyện Lâm Thao, tỉnh Phú Thọ")
    assert "docs/site-inventory.md" in text.split("\nid =")[0]


def test_an_error_in_the_model_file_names_its_line() -> None:
    """A realistic file: break the 40th device's group and expect that very line."""
    lines = MODEL_SITE_PATH.read_text(encoding="utf-8").splitlines(keepends=True)
    header = [n for n, line in enumerate(lines) if line.strip() == "[[devices]]"][39]
    group = next(n for n in range(header, len(lines)) if lines[n].startswith("group = "))
    lines[group] = 'group = "ngo-99"\n'
    error = site_error("".join(lines), "son-vi-khu-10.toml")
    assert str(error).startswith(f"son-vi-khu-10.toml line {group + 1}: devices[39].group: 'ngo-99' ")


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance: exact enough over a hamlet."""
    y = (lat2 - lat1) * 110_720
    x = (lon2 - lon1) * 111_320 * math.cos(math.radians(lat1))
    return math.hypot(x, y)


def distance_to_path(lat: float, lon: float, path: list[Position]) -> float:
    best = float("inf")
    for a, b in itertools.pairwise(path):
        for step in range(101):  # sample the segment every 1 %: metres of precision, no geometry code
            t = step / 100
            best = min(best, metres(lat, lon, a.lat + t * (b.lat - a.lat), a.lon + t * (b.lon - a.lon)))
    return best
