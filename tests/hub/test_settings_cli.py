from __future__ import annotations

import socket
from pathlib import Path

import pytest

from hub.cli import main, parser
from hub.settings import SettingsError, load_settings


def test_defaults_env_and_file_in_order(tmp_path: Path) -> None:
    assert load_settings({}).http_port == 8000
    conf = tmp_path / "hamlet.toml"
    conf.write_text('http_port = 9000\ninflux_url = "http://db:8086"\n')
    s = load_settings({"HAMLET_CONFIG": str(conf), "HAMLET_HTTP_PORT": "9100"})
    assert (s.http_port, s.influx_url) == (9100, "http://db:8086")  # environment over file
    assert load_settings({"HAMLET_CONFIG": str(conf)}, http_port=9200).http_port == 9200


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"HAMLET_HTTP_PORT": "eighty"}, "HAMLET_HTTP_PORT"),
        ({"HAMLET_HTTP_PORT": "70000"}, "HAMLET_HTTP_PORT"),
        ({"HAMLET_INFLUX_VERSION": "4"}, "HAMLET_INFLUX_VERSION"),
        ({"HAMLET_MQTT_CLIENT_ID": "hub/#"}, "HAMLET_MQTT_CLIENT_ID"),
    ],
)
def test_a_wrong_setting_is_named(env: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        load_settings(env)


def test_config_file_errors_name_the_file_and_key(tmp_path: Path) -> None:
    conf = tmp_path / "hamlet.toml"
    conf.write_text("http_prot = 1\n")
    with pytest.raises(SettingsError, match="HAMLET_HTTP_PROT: unknown setting"):
        load_settings({"HAMLET_CONFIG": str(conf)})
    conf.write_text("http_port = \n")
    with pytest.raises(SettingsError, match=r"hamlet\.toml"):
        load_settings({"HAMLET_CONFIG": str(conf)})
    with pytest.raises(SettingsError, match=r"missing\.toml"):
        load_settings({"HAMLET_CONFIG": str(tmp_path / "missing.toml")})


def test_help_names_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("up", "serve", "user", "HAMLET_DATA_DIR"):
        assert command in out


def test_the_hub_refuses_to_start_on_a_bad_setting(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HAMLET_HTTP_PORT", "eighty")
    assert main(["serve"]) == 2
    assert "HAMLET_HTTP_PORT" in capsys.readouterr().err


def test_a_broken_site_file_stops_the_hub_with_its_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site.toml"
    site.write_text('id = "x"\nname = "X"\ncommune = "c"\ndistrict = "d"\nprovince = "p"\n'
                    "position = { lat = 100.0, lon = 1.0 }\n")
    monkeypatch.setenv("HAMLET_SITE_FILE", str(site))
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "site.toml line 6" in err and "position.lat" in err


def test_a_missing_site_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HAMLET_SITE_FILE", str(tmp_path / "nowhere.toml"))
    assert main(["serve"]) == 2
    assert "nowhere.toml" in capsys.readouterr().err


def test_a_web_port_in_use_is_named_before_anything_starts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("HAMLET_DATA_DIR", str(data))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["up", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err
    # Nothing was started or made: the demo accounts, whose passwords are shown only once, wait for a real start.
    assert not (data / "hub.sqlite3").exists()
