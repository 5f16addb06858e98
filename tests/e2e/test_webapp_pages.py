"""Other pages in chromium: admin (queue, slots, failed deliveries), 404, login, phones."""

from __future__ import annotations

import asyncio

import pytest
from browser_helpers import log_in, screenshot
from playwright.async_api import BrowserContext, expect
from sqlalchemy import update
from webapp_system import System

from reportflow.store import reports
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


async def test_reconnect_replays_what_happened_while_offline(
    context: BrowserContext, system: System
) -> None:
    page = await context.new_page()
    await log_in(page, "ann")
    await page.goto("/catalog/trial_balance")
    await page.get_by_role("button", name="Request report").click()
    await page.wait_for_url("**/reports?new=*")
    report_id = page.url.rsplit("new=", 1)[1]
    row = page.locator(f'tr[data-report-id="{report_id}"]')
    await expect(row.locator(".badge")).to_have_text("queued")
    banner = page.locator("#connection-banner")
    await expect(banner).to_be_hidden()

    # The network goes away: new connections fail, and the open one drops.
    await context.set_offline(True)
    await page.evaluate("window.reportflow.channel.ws.close(4000, 'network lost')")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("reconnecting")
    await screenshot(page, "disconnected")
    await system.runner.resize(1, reason="e2e test")
    await _finished(system, report_id)
    await expect(row.locator(".badge")).to_have_text("queued")  # nothing arrives offline

    await context.set_offline(False)
    await expect(banner).to_be_hidden(timeout=40_000)
    await expect(row.locator(".badge")).to_have_text("succeeded")
    await expect(row.get_by_role("link", name="Download XLSX of Trial balance")).to_be_visible()


async def _finished(system: System, report_id: str) -> None:
    """Wait (bounded) until the store has the report's final state."""
    for _ in range(300):
        async with system.app.state.services.store.read() as db:
            report = await reports.get_report(db, report_id)
        if report is not None and report.final:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"report {report_id} did not finish in 30 s")
