"""What the browser tests do on many pages: log in, take the docs' screenshots, watch badges."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from playwright.async_api import Page
from webapp_system import PASSWORD

# The docs' pictures are refreshed on request only, so a test run leaves the tree clean.
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
SCREENSHOTS = (
    DOCS_IMG
    if os.environ.get("REPORTFLOW_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "reportflow-screenshots"
)

# Installed before any page script runs: records every status badge text that
# enters the DOM, per report row, in the order the page showed them.
RECORD_BADGES = """
window.__badges = [];
new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (!(node instanceof Element)) continue;
      const badges = node.matches(".badge") ? [node] : [...node.querySelectorAll(".badge")];
      for (const badge of badges) {
        const row = badge.closest("tr[data-report-id]");
        if (row) window.__badges.push([row.dataset.reportId, badge.textContent.trim()]);
      }
    }
  }
}).observe(document, { childList: true, subtree: true });
"""


async def log_in(page: Page, user: str, password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.get_by_label("User name").fill(user)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/catalog")


async def screenshot(page: Page, name: str) -> None:
    """A picture of the page (for docs/webapp.md with REPORTFLOW_SCREENSHOTS=1)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def transitions(badges: list[list[str]], report_id: str) -> list[str]:
    """The statuses a row showed, consecutive repeats folded."""
    seen: list[str] = []
    for rid, status in badges:
        if rid == report_id and (not seen or seen[-1] != status):
            seen.append(status)
    return seen
