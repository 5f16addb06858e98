"""Other pages in chromium: admin (queue, slots, failed deliveries), 404, login, phones."""

from __future__ import annotations

import pytest
from browser_helpers import log_in, screenshot
from playwright.async_api import BrowserContext, expect
from sqlalchemy import update
from webapp_system import System

from reportflow.webhooks import Outbox
from reportflow.webhooks.tables import outbox as outbox_table

pytestmark = pytest.mark.integration


async def _dead_delivery(system: System, msg_id: str) -> None:
    """A runner event the requestor never accepted, as the outbox keeps it after giving up."""
    outbox = Outbox(system.app.state.services.store.engine)
    await outbox.create_tables()
    payload = {"type": "report.succeeded", "data": {"job_id": "r-lost", "kind": "succeeded"}}
    assert await outbox.add("requestor", msg_id, payload)
    async with system.app.state.services.store.engine.begin() as conn:
        await conn.execute(
            update(outbox_table)
            .where(outbox_table.c.id == msg_id)
            .values(state="dead", attempts=8, last_status=503, last_error="store unavailable")
        )


async def test_admin_sees_queue_slots_and_redelivers(
    context: BrowserContext, system: System
) -> None:
    await system.runner.resize(2, reason="e2e test")
    await _dead_delivery(system, "msg_dead_1")
    page = await context.new_page()
    await log_in(page, "root")
    await page.get_by_role("link", name="Admin").click()
    await page.wait_for_url("**/admin")
    await expect(page.locator('[data-stat="slots"]')).to_have_text("0 / 2")
    await expect(page.locator('[data-stat="queued"]')).to_have_text("0")
    deliveries = page.locator("[data-deliveries] tbody tr")
    await expect(deliveries).to_have_count(1)
    await expect(deliveries.first).to_contain_text("store unavailable")
    await screenshot(page, "admin")

    await page.get_by_role("button", name="Redeliver msg_dead_1").click()
    await expect(page.locator("#toasts")).to_contain_text("Redelivery queued")
    await expect(deliveries.first.locator(".badge")).to_have_text("pending")


async def test_non_admin_gets_the_404_page_for_admin(
    context: BrowserContext, system: System
) -> None:
    page = await context.new_page()
    await log_in(page, "ann")
    await expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    response = await page.goto("/admin")
    assert response is not None
    assert response.status == 404
    await expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    response = await page.goto("/reports/nosuchreport")
    assert response is not None
    assert response.status == 404
    await screenshot(page, "not-found")


async def test_login_errors_and_redirect_back(context: BrowserContext, system: System) -> None:
    page = await context.new_page()
    await page.goto("/reports")
    await page.wait_for_url("**/login?next=/reports")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator("#login-username-error")).to_have_text("Enter your user name.")
    await page.get_by_label("User name").fill("ann")
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    await page.get_by_label("Password").fill("correct horse battery")
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/reports")
    await expect(page.get_by_role("heading", name="No reports yet")).to_be_visible()

    await page.get_by_role("button", name="Log out").click()
    await page.wait_for_url("**/login")
    response = await page.goto("/catalog")
    assert response is not None
    assert page.url.endswith("/login?next=/catalog")


async def test_phone_width_has_no_horizontal_scroll(
    browser_context_phone: BrowserContext, system: System
) -> None:
    page = await browser_context_phone.new_page()
    await log_in(page, "ann")
    for path in ("/catalog", "/catalog/machine_mtbf", "/reports"):
        await page.goto(path)
        await page.wait_for_load_state("networkidle")
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"
    await page.goto("/catalog/machine_mtbf")
    await screenshot(page, "form-phone")
