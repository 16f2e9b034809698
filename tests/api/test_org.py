"""Organisation lookups: search by name, narrow by unit, never leak contact details."""

from __future__ import annotations

from tests.api.helpers import caller

USER_SEARCHES = [
    ({"q": "收发"}, {"reg1", "reg2"}),
    ({"q": "clerk"}, {"clerk"}),
    ({"q": "周外人"}, {"outsider"}),
    ({"q": "无此人"}, set()),
]


def test_user_search(client, org):
    clerk = caller(client, "clerk")
    for query, expected in USER_SEARCHES:
        found = clerk.get("/org/users", query_string=query).get_json()
        assert {u["username"] for u in found} == expected, query
        assert all("mobile" not in u and "email" not in u for u in found)


def test_user_search_within_a_unit(client, org):
    unit_id = org.outsider.unit_id
    found = caller(client, "clerk").get("/org/users", query_string={"unit_id": unit_id})
    assert {u["username"] for u in found.get_json()} == {"analyst", "outsider"}


def test_unknown_unit_is_404(client, org):
    response = caller(client, "clerk").get("/org/users", query_string={"unit_id": 99999})
    assert response.status_code == 404


def test_unit_search(client, org):
    outsider = caller(client, "outsider")
    for q, codes in (("民政", {"mzj"}), ("swj", {"swj"}), ("江城市", {"mzj", "swj"})):
        found = outsider.get("/org/units", query_string={"q": q}).get_json()
        assert {u["code"] for u in found} == codes, q


def test_limit_is_clamped(client, org):
    clerk = caller(client, "clerk")
    for limit in ("0", "500"):
        found = clerk.get("/org/users", query_string={"limit": limit}).get_json()
        assert 1 <= len(found) <= 50


def test_nul_in_a_query_is_refused_not_a_database_error(client, org):
    response = caller(client, "clerk").get("/org/users", query_string={"q": "a\x00b"})
    assert response.status_code == 422
    assert "空字符" in response.get_json()["error"]["errors"]["q"]
