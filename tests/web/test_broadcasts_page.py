"""The loudspeaker bulletins page in real Chromium at phone size (360×740), against a real hub (MQTT bus on a
real mosquitto, the app under uvicorn so the speakers download media over HTTP) and the simulated speakers of
simulators.fleet: the head types a bulletin for the whole hamlet, hears it first and watches every speaker
report it; the emergency button sends nothing until its confirmation is accepted; a resident sees the week
and no control, and listens again to a past bulletin on the phone.

Screenshots of every state in both languages go to $HAMLET_SHOTS when it is set (never into the repo)."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, FilePayload, Page, expect, sync_playwright

from devices.contract import Kind
from devices.site import Site
from devices.site_loader import load_site
from hub.api.app import create_app
from hub.auth.phone import normalise_phone
from hub.auth.principal import Role
from hub.broadcasts.plan import QuietHours
from hub.broadcasts.service import BroadcastOptions
from hub.runtime import Hub, build_hub
from hub.settings import MODEL_SITE, load_settings
from simulators.fleet import Fleet
from tests.auth.clients import bearer
from tests.broadcasts.audio import encode
from tests.support.mosquitto import Mosquitto, start_mosquitto
from tests.support.procs import free_port
from tests.support.waiting import eventually
from tests.web.conftest import ACCOUNTS, CHROMIUM, CHROMIUM_ARGS, PASSWORD
from tests.web.faultcard import mark_seen
from tests.web.mqtt import watching
from tests.web.texts import language_leftovers, proper_names, visible_texts

pytestmark = [pytest.mark.browser, pytest.mark.integration]

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
SHOTS = os.environ.get("HAMLET_SHOTS")
PAST_TITLE = "Bản tin sáng: lịch tiêm phòng cho trẻ em"
WEEK_TITLE = "Nhắc nộp quỹ khuyến học"
BULLETIN = "Thông báo: 17:30 hôm nay họp tổ dân phố tại nhà văn hóa. Đề nghị bà con đến đúng giờ."
EMERGENCY = "Nước sông đang lên, đề nghị bà con di chuyển lên chỗ cao."


class SpeakerHub:
    def __init__(self, url: str, hub: Hub, site: Site, broker: Mosquitto, api: httpx.Client, fleet: Fleet) -> None:
        self.url, self.hub, self.site, self.broker, self.api, self.fleet = url, hub, site, broker, api, fleet

    @property
    def speakers(self) -> list[str]:
        return [d.id for d in self.site.devices if d.kind == Kind.SPEAKER]

    def bulletins(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.api.get("/api/broadcasts").json()
        return found


def _hub_thread(hub: Hub, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(create_app(lambda: hub), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn-web-broadcasts", daemon=True)
    thread.start()
    eventually(lambda: server.started or not thread.is_alive(), 30, "the hub's web server")
    assert thread.is_alive(), "the hub's web server did not start"
    return server, thread


def _local(day: int, hhmm: str) -> str:
    h, m = (int(x) for x in hhmm.split(":"))
    d = datetime.now(HANOI).date() + timedelta(days=day)
    return datetime(d.year, d.month, d.day, h, m, tzinfo=HANOI).isoformat()


def _seed(web: SpeakerHub) -> None:
    """What a hamlet already has: a bulletin that played this morning (to listen again), a daily one and a
    one-off for the north zone in the coming days (the week view), at hours away from now (no clash)."""
    now = datetime.now(HANOI)
    past = web.api.post("/api/broadcasts", json={
        "title": PAST_TITLE, "text": "Sáng thứ bảy, trạm y tế xã tiêm phòng cho trẻ em dưới 5 tuổi.",
        "once_at": (now - timedelta(minutes=5)).isoformat(), "window_min": 1})  # too late to play now
    assert past.status_code == 201, past.text
    later = [(now + timedelta(hours=h)).strftime("%H:00") for h in (3, 9)]
    daily = web.api.post("/api/broadcasts", json={"title": WEEK_TITLE, "text": "Bà con nhớ nộp quỹ khuyến học.",
                                                  "times": sorted(set(later))})
    assert daily.status_code == 201, daily.text
    north = web.api.post("/api/broadcasts", json={
        "title": "Cắt điện để sửa đường dây", "text": "Ngày mai cắt điện từ 8 giờ đến 11 giờ.",
        "priority": "priority", "targets": ["vung-bac"], "once_at": _local(2, now.strftime("%H:30"))})
    assert north.status_code == 201, north.text


@pytest.fixture(scope="module")
def speaker_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpeakerHub]:
    root = tmp_path_factory.mktemp("speakerhub")
    broker = start_mosquitto(root / "mosquitto")
    site = load_site(MODEL_SITE)
    port = free_port()
    settings = load_settings({}, data_dir=root / "hub", mqtt_url=broker.url, simulate=False, http_port=port,
                             mqtt_client_id="hub-web-broadcasts", mqtt_keepalive=5)
    options = BroadcastOptions(tick_s=0.2, media_base_url=f"http://127.0.0.1:{port}/media",
                               quiet=QuietHours("00:00", "00:00"))  # the test may run at any hour
    hub = build_hub(settings, site, options={"broadcasts": options})
    for role, (phone, name) in ACCOUNTS.items():
        hub.auth.add_user(normalise_phone(phone), role, PASSWORD, name)
    server, thread = _hub_thread(hub, port)
    fleet = Fleet(site, broker.host, broker.port, kinds=[Kind.SPEAKER], telemetry_interval_s=5.0, keepalive=5)
    head = bearer(hub, Role.HEAD, normalise_phone(ACCOUNTS[Role.HEAD][0]))
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=head, timeout=30)
    try:
        assert fleet.start(wait_s=10)
        speakers = [d.id for d in site.devices if d.kind == Kind.SPEAKER]
        eventually(lambda: all((live := hub.registry.get(s)) is not None and live.online for s in speakers), 15,
                   "every speaker online at the hub")
        web = SpeakerHub(f"http://127.0.0.1:{port}", hub, site, broker, api, fleet)
        _seed(web)
        yield web
    finally:
        api.close()
        assert fleet.stop()
        server.should_exit = True
        thread.join(timeout=30)
        broker.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, with a fake microphone (a beep) that the page may use without asking."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (scripts/install-system-deps.sh installs chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            *CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def tall_phone(browser: Browser) -> Iterator[Page]:
    """A phone of 360×740, its clock in another zone on purpose (the page shows the hamlet's time)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  device_scale_factor=1, locale="vi-VN", timezone_id="Europe/Paris",
                                  permissions=["microphone"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        context.close()


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"broadcasts-{name}.png"), full_page=True)


def open_broadcasts(page: Page, web: SpeakerHub, role: Role, via: str = "#nav [data-page='broadcasts']") -> None:
    """Log in, then open the page from the bottom navigation (or from `via`, e.g. the home page's tile)."""
    page.goto(web.url + "/")
    page.fill("#phone", ACCOUNTS[role][0])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-tile]")
    page.click(via)
    page.wait_for_selector("#view[data-ready='broadcasts']")


def assert_phone_sized(page: Page, where: str) -> None:
    """18 px text, every button, link, field and player 48 px high, nothing wider than the phone."""
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 18, where
    small = page.evaluate("""() => [...document.querySelectorAll(
          'button, nav a, a.button, label.button, input, select, textarea, audio')]
        .filter((el) => el.checkVisibility())
        .map((el) => [el.textContent.trim() || el.id || el.tagName, el.getBoundingClientRect().height])
        .filter(([, height]) => height < 48)""")
    assert small == [], f"{where}: touch targets under 48 px: {small}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{where}: wider than the phone"


def both_languages(page: Page, web: SpeakerHub, name: str) -> None:
    """Screens in Vietnamese then English: every visible string switches (names and bulletins apart)."""
    names = proper_names(web.site, [name for _, name in ACCOUNTS.values()])
    before = visible_texts(page)
    page.click("#lang")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert language_leftovers(before, visible_texts(page), names) == []
    assert_phone_sized(page, f"{name} (en)")
    shot(page, f"{name}-en")
    page.click("#lang")
    page.wait_for_function("document.documentElement.lang === 'vi'")


def test_head_sends_a_text_bulletin_to_every_zone_and_watches_it_play(speaker_hub: SpeakerHub,
                                                                       tall_phone: Page) -> None:
    web, phone = speaker_hub, tall_phone
    open_broadcasts(phone, web, Role.HEAD)
    week = phone.locator("[data-section='week']")
    expect(week).to_contain_text(WEEK_TITLE)
    expect(week.locator("[data-day] summary").first).to_contain_text(re.compile(r"^(Hôm nay|Ngày mai) \d\d/\d\d"))
    assert_phone_sized(phone, "head")
    shot(phone, "head-vi")
    both_languages(phone, web, "head")

    # Tap 1: "Gõ chữ" is the first choice already; tap 2: type it and hear it first ("Nghe thử").
    compose = phone.locator("[data-section='compose']")
    compose.locator("#bulletin-text").fill(BULLETIN)
    compose.locator("[data-control='speak']").click()
    preview = compose.locator("audio[data-preview]")
    expect(preview).to_have_attribute("src", re.compile(r"^/media/[0-9a-f]{64}$"))
    # The usual choices are made already (three taps send it); one more here, to watch it play long enough.
    options = compose.locator("[data-options]")
    expect(options.locator("[data-chosen]")).to_have_text("Cả khu · Thông thường · Phát 1 lần · Ngay bây giờ")
    options.locator("summary").click()
    options.locator("[data-repeat='2']").click()  # "Phát 2 lần, cách 30 giây"
    expect(options.locator("[data-chosen]")).to_have_text(
        "Cả khu · Thông thường · phát 2 lần, cách 30 giây · Ngay bây giờ")
    assert_phone_sized(phone, "head composing")
    shot(phone, "head-compose-vi")

    # Tap 3: send. Every speaker of the hamlet reports it, as it happens.
    compose.locator("[data-control='send']").click()
    sent = phone.locator("[data-sent]")
    expect(sent).to_contain_text("Đã gửi bản tin")
    delivery = sent.locator("[data-delivery]")
    total = len(web.speakers)
    expect(delivery).to_have_text(f"{total}/{total} loa đang phát", timeout=30_000)
    shot(phone, "head-playing-vi")
    both_languages(phone, web, "head-playing")
    expect(delivery).to_have_text(f"{total}/{total} loa đã phát xong", timeout=90_000)
    expect(delivery).to_have_attribute("data-done", "true")
    made = next(b for b in web.bulletins() if b.get("text") == BULLETIN)
    assert set(made["speakers"]) == set(web.speakers) and made["targets"] == ["all"] and made["repeat"] == 2

    # The as-run log shows it aired everywhere, and its CSV is what the commune files.
    log = phone.locator(f"[data-log^='{made['id']}-']")
    expect(log.locator("[data-log-summary]")).to_have_text(f"{total}/{total} đã phát xong", timeout=10_000)
    csv = phone.request.get(web.url + phone.locator("[data-ui='csv']").get_attribute("href"))  # type: ignore[operator]
    assert csv.ok and csv.headers["content-type"].startswith("text/csv")
    rows = [line for line in csv.text().splitlines() if made["id"] in line]
    assert len(rows) == total and all("Đã phát xong" in r for r in rows), rows
    log.scroll_into_view_if_needed()
    shot(phone, "head-done-vi")
    assert_phone_sized(phone, "head after delivery")


def test_head_sees_a_speaker_lose_its_signal_marks_it_seen_and_it_closes(speaker_hub: SpeakerHub,
                                                                         tall_phone: Page) -> None:
    web, phone = speaker_hub, tall_phone
    speaker = next(d for d in web.site.devices if d.kind == Kind.SPEAKER)
    open_broadcasts(phone, web, Role.HEAD)
    faults = phone.locator("[data-section='speaker-faults']")
    row = faults.locator("[data-fault]").filter(has_text=speaker.name)
    expect(row).to_have_count(0)

    # Its 4G signal fades: its own telemetry says so, the hub opens a fault, the page shows it live.
    web.fleet.inject(speaker.id, "no_signal")
    try:
        expect(row).to_have_count(1, timeout=20_000)
        mark_seen(phone, row, f"{speaker.name}: Mất sóng", f"{speaker.name}: No signal",
                  lambda lang: shot(phone, f"head-speaker-fault-{lang}"))
    finally:
        web.fleet.inject(speaker.id, None)
    # The signal is back: the fault leaves the list by itself.
    expect(row).to_have_count(0, timeout=20_000)


def test_the_emergency_button_sends_nothing_without_its_confirmation(speaker_hub: SpeakerHub,
                                                                      tall_phone: Page) -> None:
    web, phone = speaker_hub, tall_phone
    open_broadcasts(phone, web, Role.HEAD)
    section = phone.locator("[data-section='emergency']")
    button = section.locator("[data-control='emergency']")
    assert button.bounding_box()["height"] >= 64  # type: ignore[index]
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(183, 28, 28)"  # the red
    section.locator("#emergency-text").fill(EMERGENCY)
    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    with watching(web.site, web.broker.host, web.broker.port) as watcher:
        phone.once("dialog", dismiss)
        button.click()
        eventually(lambda: len(asked) == 1, 5, "the confirmation")
        time.sleep(1.0)  # a command would be on the wire well within this
        assert [t for t in watcher.published() if t.endswith("/set")] == []
    assert asked[0].startswith("Xác nhận phát khẩn cấp?") and EMERGENCY in asked[0]
    assert not [b for b in web.bulletins() if b["priority"] == "emergency"]
    assert phone.locator("[data-sent]").count() == 0

    # Accepted: it plays at once on every speaker.
    phone.once("dialog", lambda dialog: dialog.accept())
    button.click()
    total = len(web.speakers)
    expect(phone.locator("[data-sent] [data-delivery]")).to_have_text(f"{total}/{total} loa đang phát", timeout=30_000)
    emergency = [b for b in web.bulletins() if b["priority"] == "emergency"]
    assert len(emergency) == 1 and emergency[0]["text"] == EMERGENCY and emergency[0]["targets"] == ["all"]
    shot(phone, "head-emergency-vi")

    # The head cancels it from its row: every speaker stops.
    row = phone.locator(f"[data-bulletin='{emergency[0]['id']}']")
    expect(row.locator("[data-delivery]")).to_have_text(f"{total}/{total} loa đang phát")
    phone.once("dialog", lambda dialog: dialog.accept())
    row.locator("[data-control='cancel']").click()
    expect(phone.locator("[data-sent] [data-delivery]")).to_have_text(f"{total}/{total} loa đã dừng", timeout=30_000)
    assert next(b for b in web.bulletins() if b["id"] == emergency[0]["id"])["status"] == "cancelled"


def test_resident_sees_the_week_no_control_and_listens_again(speaker_hub: SpeakerHub, tall_phone: Page) -> None:
    web, phone = speaker_hub, tall_phone
    open_broadcasts(phone, web, Role.RESIDENT, via="[data-tile='bulletin']")  # "Bản tin tiếp theo" leads here
    expect(phone.locator("[data-section='week']")).to_contain_text(WEEK_TITLE)
    # Read only: no control, no form field; every button is a view control (marked data-ui).
    assert phone.locator("[data-control]").count() == 0
    assert phone.locator("input, select, textarea").count() == 0
    assert phone.locator("button:not([data-ui])").all_text_contents() == []
    assert phone.locator("[data-section='log'], [data-section='compose'], [data-section='emergency']").count() == 0
    assert_phone_sized(phone, "resident")
    shot(phone, "resident-vi")
    both_languages(phone, web, "resident")

    # "Nghe lại": the morning's bulletin plays on the phone, from the hub's /media/{sha256}.
    past = next(b for b in web.bulletins() if b["title"] == PAST_TITLE)
    row = phone.locator(f"[data-again='{past['id']}']")
    expect(row).to_contain_text(PAST_TITLE)
    row.locator("[data-listen]").click()
    audio = row.locator("audio")
    expect(audio).to_have_attribute("src", past["media_url"])
    phone.wait_for_function("""(a) => a.readyState >= 2 && a.duration > 0 && a.currentTime > 0""",
                            arg=audio.element_handle(), timeout=15_000)
    row.scroll_into_view_if_needed()
    assert_phone_sized(phone, "resident listening")
    shot(phone, "resident-listening-vi")


def test_head_records_uploads_and_schedules_for_later(speaker_hub: SpeakerHub, tall_phone: Page) -> None:
    web, phone = speaker_hub, tall_phone
    open_broadcasts(phone, web, Role.HEAD)
    compose = phone.locator("[data-section='compose']")
    ready = compose.locator("[data-ready-audio]")
    preview = compose.locator("audio[data-preview]")
    medium = re.compile(r"^/media/[0-9a-f]{64}$")

    # Ghi âm: the phone's microphone (Chromium's fake one), recorded, uploaded, checked and normalised by the hub.
    compose.locator("[data-mode='record']").click()
    compose.locator("[data-control='record']").click()
    stop = compose.locator("[data-control='record-stop']")
    expect(stop).to_contain_text("Dừng ghi âm (0:02)", timeout=5_000)
    shot(phone, "head-recording-vi")
    stop.click()
    expect(ready).to_contain_text("Âm thanh đã sẵn sàng", timeout=20_000)
    expect(preview).to_have_attribute("src", medium)
    assert compose.locator("#bulletin-title").input_value().startswith("Ghi âm lúc ")
    shot(phone, "head-recorded-vi")

    # Tải tệp: what is not audio is refused with the hub's reason, in the page's language.
    compose.locator("[data-mode='file']").click()
    assert compose.locator("#bulletin-title").input_value() == ""
    picker = compose.locator("#bulletin-file")
    not_audio = FilePayload(name="thong-bao.mp3", mimeType="audio/mpeg", buffer=b"khong phai am thanh " * 50)
    picker.set_input_files(files=[not_audio])
    refused = compose.locator("[data-error='content']")
    expect(refused).to_be_visible(timeout=20_000)
    assert preview.count() == 0 and ready.count() == 0
    shot(phone, "head-upload-refused-vi")
    picker.set_input_files(files=[FilePayload(name="Thông báo tiêm phòng.mp3", mimeType="audio/mpeg",
                                              buffer=encode("mp3", seconds=3.0))])
    expect(ready).to_contain_text("Âm thanh đã sẵn sàng (0:03)", timeout=20_000)
    assert compose.locator("#bulletin-title").input_value() == "Thông báo tiêm phòng"
    sha = (preview.get_attribute("src") or "").rsplit("/", 1)[-1]

    # For the south zone, at a set time in three days: it shows in that day of the week view.
    day = datetime.now(HANOI).date() + timedelta(days=3)
    options = compose.locator("[data-options]")
    options.locator("summary").click()
    options.locator("[data-zone='vung-nam']").click()
    options.locator("[data-prio='priority']").click()
    options.locator("[data-when='at']").click()
    options.locator("#bulletin-date").fill(day.isoformat())
    options.locator("#bulletin-time").fill("10:15")
    expect(options.locator("[data-chosen]")).to_have_text(
        f"Vùng phía Nam · Ưu tiên · Phát 1 lần · {day.strftime('%d/%m/%Y')} 10:15")
    shot(phone, "head-schedule-later-vi")
    both_languages(phone, web, "head-schedule-later")
    send = compose.locator("[data-control='send']")
    expect(send).to_have_text("Lên lịch phát")
    send.click()
    expect(phone.locator("[data-sent]")).to_contain_text("Thông báo tiêm phòng")
    made = next(b for b in web.bulletins() if b["sha256"] == sha)
    assert made["targets"] == ["vung-nam"] and made["priority"] == "priority"
    assert made["once_at"].startswith(f"{day.isoformat()}T10:15:00") and made["once_at"].endswith("+07:00")
    assert set(made["speakers"]) == {d.id for d in web.site.devices if d.kind == Kind.SPEAKER and d.group == "vung-nam"}
    week_day = phone.locator(f"[data-section='week'] [data-day='{day.isoformat()}']")
    week_day.locator("summary").click()
    slot = week_day.locator(f"[data-occurrence^='{made['id']}-']")
    expect(slot).to_contain_text("10:15")
    expect(slot).to_contain_text("Vùng phía Nam")
    slot.scroll_into_view_if_needed()
    shot(phone, "head-week-vi")
    # Per zone: the north zone's week has its own one-off and not the south's.
    week = phone.locator("[data-section='week']")
    week.locator("[data-zone-filter='vung-bac']").click()
    expect(slot).to_have_count(0)
    expect(week).to_contain_text("Cắt điện để sửa đường dây")
    week.locator("[data-zone-filter='vung-nam']").click()
    expect(week).not_to_contain_text("Cắt điện để sửa đường dây")
    expect(slot).to_have_count(1)  # its day stays unfolded

    # Cancelled from its row: gone from the week.
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.locator(f"[data-bulletin='{made['id']}'] [data-control='cancel']").click()
    expect(slot).to_have_count(0)
    assert_phone_sized(phone, "head after cancelling")
