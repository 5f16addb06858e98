"""Browser fixtures: Debian's chromium driven by Playwright, against the embedded system.

Chromium comes from the system (``make system-deps`` installs it); Playwright's
own browser download is never used. Without chromium the tests skip locally
and fail in CI, like every other service the tests need.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright
from webapp_system import System, embedded_system

CHROMIUM = os.environ.get("REPORTFLOW_TEST_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> str:
    """The chromium binary; skip when missing, unless in CI, where that is a failure."""
    path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if path:
        return path
    message = f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it")
    pytest.skip(message)


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    async with embedded_system(tmp_path / "home") as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = require_chromium()
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def context(browser: Browser, system: System) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(
        base_url=system.base_url, viewport={"width": 1280, "height": 860}, accept_downloads=True
    )
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        await ctx.close()


@pytest.fixture
async def browser_context_phone(browser: Browser, system: System) -> AsyncIterator[BrowserContext]:
    """A 375 px wide touch screen."""
    ctx = await browser.new_context(
        base_url=system.base_url,
        viewport={"width": 375, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        await ctx.close()
