"""The web app end to end in headless chromium: log in, request a report, watch it, download it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from browser_helpers import RECORD_BADGES, log_in, screenshot, transitions
from playwright.async_api import BrowserContext, expect
from webapp_system import System

pytestmark = pytest.mark.integration


async def test_request_watch_and_download_trial_balance(
    context: BrowserContext, system: System, tmp_path: Path
) -> None:
    page = await context.new_page()
    await page.add_init_script(RECORD_BADGES)
    await log_in(page, "ann")

    cards = page.locator("[data-catalog-list] > li")
    assert await cards.count() >= 3
    await expect(page.get_by_role("link", name="Trial balance")).to_be_visible()
    await expect(cards.filter(has_text="general-ledger")).to_have_count(1)
    await screenshot(page, "catalog")

    await page.get_by_role("link", name="Trial balance").click()
    await page.wait_for_url("**/catalog/trial_balance")
    await expect(page.get_by_label("From period")).to_have_value("2025-01")
    await page.get_by_label("From period").fill("2025-01")
    await page.get_by_label("To period").fill("2026-12")
    await screenshot(page, "form")
    await page.get_by_role("button", name="Request report").click()

    await page.wait_for_url("**/reports?new=*")
    report_id = page.url.rsplit("new=", 1)[1]
    row = page.locator(f'tr[data-report-id="{report_id}"]')
    await expect(row.locator(".badge")).to_have_text("queued")
    await screenshot(page, "reports-queued")

    # Give the runner a slot: the row must now go running -> succeeded by itself.
    await system.runner.resize(1, reason="e2e test")
    await expect(row.locator(".badge")).to_have_text("succeeded", timeout=30_000)
    badges = await page.evaluate("window.__badges")
    assert transitions(badges, report_id) == ["queued", "running", "succeeded"]
    await expect(page.locator("#toasts .toast.ok")).to_contain_text("Report ready")
    await screenshot(page, "reports")
    await page.emulate_media(color_scheme="dark")
    await screenshot(page, "reports-dark")
    await page.emulate_media(color_scheme="light")

    async with page.expect_download() as info:
        await row.get_by_role("link", name="Download XLSX of Trial balance").click()
    download = await info.value
    saved = tmp_path / "trial_balance.xlsx"
    await download.save_as(saved)
    workbook = openpyxl.load_workbook(saved, read_only=True)
    try:
        header, *rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()  # read-only workbooks keep the file open until closed
    assert list(header) == ["code", "name", "type", "debits", "credits", "net"]
    assert len(rows) > 5
    assert all(code for code, *_ in rows), "every row names its account"
    total = sum(Decimal(str(net)) for *_, net in rows)
    assert total.quantize(Decimal("0.01")) == 0

    await row.get_by_role("link", name="Trial balance", exact=True).click()
    await page.wait_for_url(f"**/reports/{report_id}")
    preview = page.locator("[data-preview] table")
    await expect(preview.locator("thead th")).to_have_text(
        ["code", "name", "type", "debits", "credits", "net"]
    )
    assert await preview.locator("tbody tr").count() == min(50, len(rows))
    await screenshot(page, "report")


async def test_server_validation_error_shows_beside_its_field(
    context: BrowserContext, system: System
) -> None:
    page = await context.new_page()
    await log_in(page, "ann")
    await page.goto("/catalog/trial_balance")
    field = page.get_by_label("From period")

    # The browser's own check first: the pattern from the schema.
    await field.fill("2025-13")
    await page.get_by_role("button", name="Request report").click()
    error = page.locator("#param-period_from-error")
    await expect(error).to_contain_text("expected form")
    await expect(field).to_have_attribute("aria-invalid", "true")

    # A browser that lets it through: the server's 422 lands beside the same field.
    await field.evaluate("input => input.removeAttribute('pattern')")
    await field.fill("2025-13")
    await page.get_by_role("button", name="Request report").click()
    await expect(error).to_contain_text("does not fit: First accounting period, as YYYY-MM.")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#param-period_to-error")).to_be_empty()
    assert page.url.endswith("/catalog/trial_balance"), "nothing was submitted"
    await screenshot(page, "form-error")


async def test_time_series_report_draws_its_chart(context: BrowserContext, system: System) -> None:
    page = await context.new_page()
    await log_in(page, "ann")
    await page.goto("/catalog/machine_mtbf")
    await page.get_by_label("From", exact=True).fill("2025-01-01")
    await page.get_by_label("Before", exact=True).fill("2025-07-01")
    await page.get_by_role("button", name="Request report").click()
    await page.wait_for_url("**/reports?new=*")
    report_id = page.url.rsplit("new=", 1)[1]
    await system.runner.resize(1, reason="e2e test")
    await page.goto(f"/reports/{report_id}")
    await expect(page.locator("#report-view .badge")).to_have_text("succeeded", timeout=30_000)
    chart = page.locator("[data-chart] svg")
    await expect(chart).to_have_attribute("aria-label", "MTBF per machine")
    assert await chart.locator("polyline").count() >= 1
    months = await chart.locator("text").all_text_contents()
    assert "2025-01" in months
    assert "2025-06" in months
    await screenshot(page, "report-chart")
