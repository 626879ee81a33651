"""Places' names travel: a coordinator's laptop names a neighborhood, a route, a business
and a shift in Chinese and Vietnamese; a volunteer's phone pulls them from a real server
(SQLite and PostgreSQL) and shows them in its language; a change of names is a patch that
reaches the phone too, and a name the server refuses stays on the laptop, said."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from stroll.domain import Merchant, Neighborhood, Route, Shift
from stroll.i18n import Translator
from stroll.store import Store
from sync.client import SyncClient
from sync.engine import SyncEngine

CHINATOWN = {"zh-Hant": "舊金山華埠", "zh-Hans": "旧金山华埠"}


def device(server, path, role: str, name: str) -> SyncEngine:
    engine = SyncEngine(Store(path), SyncClient(server.url), device_name=name)
    engine.sign_in(server.invite(role))
    return engine


@pytest.fixture
def laptop_and_phone(server, tmp_path):
    laptop = device(server, tmp_path / "laptop.db", "coordinator", "coordinator's laptop")
    phone = device(server, tmp_path / "phone.db", "volunteer", "volunteer's phone")
    yield laptop, phone
    for engine in (laptop, phone):
        engine.stop()
        engine.client.close()
        engine.store.close()


def test_names_given_on_one_device_are_read_in_each_language_on_another(laptop_and_phone):
    laptop, phone = laptop_and_phone
    start = datetime.now(timezone.utc) + timedelta(days=1)
    hood = laptop.store.save(Neighborhood(name="SF Chinatown", center_lat=37.7945,
                                          center_lon=-122.4065, names=CHINATOWN))
    loop = laptop.store.save(Route(neighborhood_id=hood.id, name="Stockton St loop",
                                   path=[[37.7978, -122.4070], [37.7932, -122.4077]],
                                   names={"zh-Hant": "市德頓街環線", "vi": "Vòng đường Stockton"}))
    bakery = laptop.store.save(Merchant(neighborhood_id=hood.id, name="Jade Lantern Bakery",
                                        lat=37.7961, lon=-122.4082,
                                        names={"zh-Hant": "玉燈餅家"}))
    evening = laptop.store.save(Shift(
        neighborhood_id=hood.id, title="Evening stroll — Stockton St",
        starts_at=start.isoformat(timespec="seconds"),
        ends_at=(start + timedelta(hours=1)).isoformat(timespec="seconds"),
        names={"vi": "Tuần tra buổi tối — Stockton St"}))
    laptop.sync_once()
    assert laptop.store.pending_count() == 0
    phone.sync_once()

    got = {rec.TYPE: phone.store.get(rec.TYPE, rec.id) for rec in (hood, loop, bakery, evening)}
    assert {t: r["names"] for t, r in got.items()} == \
        {rec.TYPE: rec.names for rec in (hood, loop, bakery, evening)}
    zh_hant, zh_hans, vi = Translator("zh-Hant"), Translator("zh-Hans"), Translator("vi")
    assert zh_hant.place(got["neighborhood"]) == "舊金山華埠"
    assert zh_hans.place(got["merchant"]) == "玉灯饼家"     # converted on the phone
    assert vi.place(got["route"]) == "Vòng đường Stockton"
    assert vi.place(got["shift"], "title") == "Tuần tra buổi tối — Stockton St"
    assert vi.place(got["neighborhood"]) == "SF Chinatown"  # no Vietnamese name: English

    # a later change of the names alone is a patch, and the phone gets it
    laptop.store.update("merchant", bakery.id,
                        names={"zh-Hant": "玉燈餅家", "vi": "Tiệm Bánh Đèn Ngọc"})
    [entry] = laptop.store.outbox_entries()
    assert (entry["op"], set(entry["payload"])) == ("patch", {"names"})
    laptop.sync_once()
    phone.sync_once()
    assert vi.place(phone.store.get("merchant", bakery.id)) == "Tiệm Bánh Đèn Ngọc"


def test_a_name_the_server_refuses_stays_on_the_device_with_the_reason(laptop_and_phone):
    laptop, phone = laptop_and_phone
    hood = laptop.store.save(Neighborhood(name="Oakland Chinatown", center_lat=37.7995,
                                          center_lon=-122.2695, names={"zh-Hant": "屋崙華埠"}))
    laptop.sync_once()
    # written past the device's own check (which refuses it), as a broken app might send it
    with laptop.store.transaction() as tx:
        tx._outbox("neighborhood", hood.id, "patch", {"names": {"en": "Oakland Chinatown"}})
    laptop.sync_once()
    [rejected] = laptop.store.outbox_entries(state="rejected")
    assert "names" in rejected["error"] and "'en'" in rejected["error"]
    phone.sync_once()
    assert phone.store.get("neighborhood", hood.id)["names"] == {"zh-Hant": "屋崙華埠"}
