"""The pages over HTTP: login redirects, escaping, 404s, CSRF in forms, admin only for admins."""

from __future__ import annotations

import re

from web_harness import Web


async def test_pages_need_a_session_and_come_back_after_login(web: Web) -> None:
    async with web.client() as anon:
        for path in ("/catalog", "/reports", "/admin", "/catalog/everything"):
            answer = await anon.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"] == f"/login?next={path}"
        login = await anon.get("/login?next=//evil.example/")
        assert login.status_code == 200
        assert 'data-next="/catalog"' in login.text, "an off-site next is replaced"
        assert (await anon.get("/")).headers["location"] == "/login"


async def test_catalog_page_escapes_and_hides_reports_the_user_may_not_request(web: Web) -> None:
    async with web.client("ann") as ann:
        page = await ann.get("/catalog")
    assert page.status_code == 200
    assert "Every &lt;kind&gt; of input" in page.text
    assert "<kind>" not in page.text
    assert "payroll" not in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_form_page_has_labelled_inputs_and_the_csrf_token(web: Web) -> None:
    async with web.client("ann") as ann:
        page = await ann.get("/catalog/everything")
        token = ann.headers["X-CSRF-Token"]
    assert page.status_code == 200
    assert f'name="csrf_token" value="{token}"' in page.text
    assert f'<meta name="csrf-token" content="{token}">' in page.text
    for name in ("label", "count", "ratio", "day", "at", "region"):
        assert f'<label for="param-{name}">' in page.text, name
        assert re.search(rf'id="param-{name}"[^>]*aria-describedby="param-{name}-error', page.text)
    assert 'type="datetime-local"' in page.text
    assert 'type="date"' in page.text
    assert 'pattern="^[a-z]+$"' in page.text


async def test_unknown_pages_get_the_404_page_but_the_api_keeps_json(web: Web) -> None:
    async with web.client("ann") as ann:
        page = await ann.get("/nowhere")
        api = await ann.get("/api/v1/nowhere", headers={"Accept": "application/json"})
        report = await ann.get("/reports/nosuchreport")
        form = await ann.get("/catalog/payroll")
    assert page.status_code == 404
    assert "This page does not exist" in page.text
    assert api.status_code == 404
    assert api.json() == {"detail": "Not Found"}
    assert report.status_code == 404
    assert "<html" in report.text
    assert form.status_code == 404, "a report the user may not request does not exist for them"


async def test_admin_page_is_for_admins(web: Web) -> None:
    async with web.client("ann") as ann:
        assert (await ann.get("/admin")).status_code == 404
        assert (await ann.get("/api/v1/admin/overview")).status_code == 404
    async with web.client("root") as root:
        page = await root.get("/admin")
        assert page.status_code == 200
        assert "Failed webhook deliveries" in page.text


async def test_static_files_are_served_locally(web: Web) -> None:
    async with web.client() as anon:
        for path in ("/static/app.css", "/static/js/main.js", "/static/js/chart.js"):
            answer = await anon.get(path)
            assert answer.status_code == 200, path
            # No CDN: nothing is imported or loaded from another host.
            assert not re.search(r"""(from|import\(|url\()\s*["']?https?:""", answer.text), path
