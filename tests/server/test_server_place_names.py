"""Places' names in other languages on the server (both backends): a coordinator's
``names`` are kept, merged per field and pulled by every device; a wrong name is refused
on push, entry by entry, saying which language and why."""
from __future__ import annotations

from inspect_storage import get_record
from server_records import merchant, neighborhood, route, shift

CHINATOWN = {"zh-Hant": "舊金山華埠", "zh-Hans": "旧金山华埠"}


def pulled(api, dev, record_id: str) -> dict:
    (data,) = [c["data"] for c in api.pull_all(dev) if c["id"] == record_id]
    return data


def test_a_coordinators_names_reach_every_device_as_given(api, client):
    coord, vol = api.enroll("coordinator"), api.enroll("volunteer")
    hood = neighborhood(names=CHINATOWN)
    loop = route(neighborhood_id=hood["id"], names={"zh-Hant": "市德頓街環線",
                                                    "vi": "Vòng đường Stockton"})
    evening = shift(neighborhood_id=hood["id"], names={"vi": "Tuần tra buổi tối"})
    bakery = merchant(neighborhood_id=hood["id"], names={"zh-Hant": "玉燈餅家"})
    out = api.send(coord, ("neighborhood", "upsert", hood), ("route", "upsert", loop),
                   ("shift", "upsert", evening), ("merchant", "upsert", bakery))
    assert [r["status"] for r in out["results"]] == ["applied"] * 4, out
    for rec in (hood, loop, evening, bakery):
        assert pulled(api, vol, rec["id"])["names"] == rec["names"]
    assert get_record(client.app_storage, "neighborhood", hood["id"])["data"]["names"] == CHINATOWN


def test_a_place_without_other_names_travels_without_the_field(api):
    coord, vol = api.enroll("coordinator"), api.enroll("volunteer")
    hood = neighborhood()
    api.send(coord, ("neighborhood", "upsert", hood))
    assert "names" not in pulled(api, vol, hood["id"])  # the device reads it as {}


def test_changing_the_names_is_a_per_field_patch_that_keeps_the_other_fields(api):
    coord, vol = api.enroll("coordinator"), api.enroll("volunteer")
    hood = neighborhood(names={"zh-Hant": "舊金山華埠"})
    api.send(coord, ("neighborhood", "upsert", hood))
    other = api.enroll("coordinator")
    api.send(other, ("neighborhood", "patch", {"city": "San Francisco, CA"}, hood["id"]))
    out = api.send(coord, ("neighborhood", "patch", {"names": CHINATOWN}, hood["id"]))
    assert out["results"][0]["status"] == "applied", out
    seen = pulled(api, vol, hood["id"])
    assert (seen["names"], seen["city"], seen["name"]) == \
        (CHINATOWN, "San Francisco, CA", "SF Chinatown")


def test_a_wrong_name_is_refused_on_push_and_nothing_of_it_applies(api, client):
    coord = api.enroll("coordinator")
    good, bad = neighborhood(names=CHINATOWN), neighborhood(names={"fr": "Quartier chinois"})
    out = api.send(coord, ("neighborhood", "upsert", good), ("neighborhood", "upsert", bad),
                   ("neighborhood", "patch", {"names": {"vi": ""}}, good["id"]))
    assert [r["status"] for r in out["results"]] == ["applied", "rejected", "rejected"], out
    for res, words in ((out["results"][1], "unknown language 'fr'"),
                       (out["results"][2], "the vi name is empty")):
        assert res["error"]["details"]["field"] == "names", res
        assert words in res["error"]["message"], res
    assert get_record(client.app_storage, "neighborhood", bad["id"]) is None
    assert get_record(client.app_storage, "neighborhood", good["id"])["data"]["names"] == CHINATOWN


def test_a_volunteer_may_name_a_business_but_not_a_neighborhood(api):
    vol = api.enroll("volunteer")
    shop = merchant(names={"vi": "Tiệm Bánh Mì Bình Minh"})
    hood = neighborhood(names=CHINATOWN)
    out = api.send(vol, ("merchant", "upsert", shop), ("neighborhood", "upsert", hood))
    assert [r["status"] for r in out["results"]] == ["applied", "rejected"], out
    assert out["results"][1]["error"]["code"] == "forbidden"
