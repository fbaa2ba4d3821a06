"""Roll-up texts as pure functions: what a hamlet head reads after pressing a switch."""

from __future__ import annotations

from hub.commands.lifecycle import Status
from hub.commands.model import Label
from hub.lights.commands.rollup import Desired, LightLine, duration, rollup

NGO3 = Label("Ngõ 3", "Ngõ 3")
ON = Desired(on=True)


def lines(**statuses: Status) -> list[LightLine]:
    """den_7=TIMED_OUT … -> LightLine('den-7', 'Đèn 7', TIMED_OUT); the rest of 12 are confirmed."""
    out = []
    for i in range(1, 13):
        status = statuses.get(f"den_{i}", Status.CONFIRMED)
        out.append(LightLine(f"den-{i}", f"Đèn {i}", status))
    return out


def test_the_issue_example_in_both_languages() -> None:
    r = rollup(NGO3, ON, lines(den_7=Status.TIMED_OUT))
    assert r.vi == "Ngõ 3: 11/12 đèn đã bật — đèn 7 không phản hồi"
    assert r.en == "Ngõ 3: 11/12 lights on — Đèn 7 not responding"
    assert r.done and not r.ok and r.counts == {"confirmed": 11, "timed_out": 1}


def test_all_confirmed() -> None:
    r = rollup(NGO3, ON, lines())
    assert (r.vi, r.en, r.done, r.ok) == ("Ngõ 3: 12/12 đèn đã bật", "Ngõ 3: 12/12 lights on", True, True)


def test_off_and_dim_and_a_duration() -> None:
    assert rollup(NGO3, Desired(on=False), lines()).vi == "Ngõ 3: 12/12 đèn đã tắt"
    dim = rollup(NGO3, Desired(on=True, brightness=50), lines())
    assert (dim.vi, dim.en) == ("Ngõ 3: 12/12 đèn đã bật 50%", "Ngõ 3: 12/12 lights on at 50%")
    wedding = rollup(NGO3, Desired(on=True, for_minutes=120), lines())
    assert (wedding.vi, wedding.en) == ("Ngõ 3: 12/12 đèn đã bật trong 2 giờ", "Ngõ 3: 12/12 lights on for 2 h")
    assert duration(90) == ("1 giờ 30 phút", "1 h 30 min") and duration(45) == ("45 phút", "45 min")


def test_in_progress_and_several_reasons_in_a_fixed_order() -> None:
    r = rollup(NGO3, ON, lines(den_2=Status.SENT, den_3=Status.DELIVERED, den_5=Status.QUEUED,
                                den_9=Status.FAILED, den_11=Status.EXPIRED))
    assert r.vi == ("Ngõ 3: 7/12 đèn đã bật — đèn 9 báo lỗi; đèn 11 mất kết nối, lệnh đã hết hạn; "
                    "đèn 5 đang chờ kết nối lại; đèn 2, đèn 3 đang chờ xác nhận")
    assert r.en == ("Ngõ 3: 7/12 lights on — Đèn 9 reported a fault; Đèn 11 offline, the command expired; "
                    "Đèn 5 waiting to reconnect; Đèn 2, Đèn 3 waiting for confirmation")
    assert not r.done


def test_more_than_three_lights_are_counted_not_listed() -> None:
    r = rollup(NGO3, ON, lines(**{f"den_{i}": Status.TIMED_OUT for i in range(1, 7)}))
    assert r.vi == "Ngõ 3: 6/12 đèn đã bật — đèn 1, đèn 2, đèn 3 và 3 đèn khác không phản hồi"
    assert r.en == "Ngõ 3: 6/12 lights on — Đèn 1, Đèn 2, Đèn 3 and 3 more not responding"


def test_one_light_is_told_without_counting() -> None:
    den7 = Label("Đèn 7", "Đèn 7")
    ok = rollup(den7, ON, [LightLine("den-7", "Đèn 7", Status.CONFIRMED)])
    silent = rollup(den7, ON, [LightLine("den-7", "Đèn 7", Status.TIMED_OUT)])
    assert (ok.vi, ok.en) == ("Đèn 7: đã bật", "Đèn 7: on")
    assert (silent.vi, silent.en) == ("Đèn 7: không phản hồi", "Đèn 7: not responding")


def test_all_lights_label() -> None:
    r = rollup(Label("Tất cả đèn", "All lights"), Desired(on=False), lines())
    assert (r.vi, r.en) == ("Tất cả đèn: 12/12 đèn đã tắt", "All lights: 12/12 lights off")
