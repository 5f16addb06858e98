"""Login, CSRF on cookie-authenticated writes, logout."""

from __future__ import annotations

from requestor_harness import PASSWORD, Harness

SALES = {"report": "sales", "params": {"region": "north"}}


async def test_login_cookie_csrf_and_logout(rf: Harness) -> None:
    await rf.add_user("cat", password=True)
    async with rf.client() as c:
        login = await c.post("/api/v1/session", json={"username": "cat", "password": PASSWORD})
        assert login.status_code == 200
        set_cookie = login.headers.get_list("set-cookie")
        session_cookie = next(h for h in set_cookie if h.startswith("rf_session="))
        assert "HttpOnly" in session_cookie
        assert "SameSite=lax" in session_cookie
        csrf = login.json()["csrf_token"]
        assert c.cookies["rf_csrf"] == csrf
        assert (await c.get("/api/v1/session")).json()["user"] == "cat"
        blocked = await c.post("/api/v1/reports", json=SALES, headers={"X-CSRF-Token": "x" + csrf})
        allowed = await c.post("/api/v1/reports", json=SALES, headers={"X-CSRF-Token": csrf})
        out = await c.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
        c.cookies.set("rf_session", session_cookie.split(";")[0].split("=", 1)[1])
        after = await c.get("/api/v1/reports")
    assert blocked.status_code == 403
    assert allowed.status_code == 202
    assert out.status_code == 204
    assert after.status_code == 401


async def test_secure_cookie_flag_follows_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from requestor_harness import harness

    async with harness(tmp_path, secure_cookies=True) as h:
        await h.add_user("dan", password=True)
        async with h.client() as c:
            r = await c.post("/api/v1/session", json={"username": "dan", "password": PASSWORD})
    assert all("Secure" in h for h in r.headers.get_list("set-cookie"))


async def test_form_post_may_carry_the_csrf_field(rf: Harness) -> None:
    await rf.add_user("eve", password=True)
    async with rf.client() as c:
        csrf = (
            await c.post("/api/v1/session", json={"username": "eve", "password": PASSWORD})
        ).json()["csrf_token"]
        r = await c.request("DELETE", "/api/v1/session", data={"csrf_token": csrf})
    assert r.status_code == 204
