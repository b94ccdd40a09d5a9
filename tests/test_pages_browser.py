"""The one-step pages in a real browser: Debian's headless Chromium driven by Playwright, against
the worker on the Temporal dev server and the gateway on loopback (tests/pages_stack.py). What a
person sees on a phone or a desktop, using a keyboard or a screen reader's label lookup, with
JavaScript off; and what the system then did (the mail that follows, the candidacy's state).

Nothing downloads a browser: Chromium is the system's (`HEARDBACK_TEST_CHROMIUM`, by default
/usr/bin/chromium, which `make test` installs through scripts/ensure-chromium.sh)."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from temporalio.testing import WorkflowEnvironment

from heardback.gateway.i18n import Reader
from heardback.workflows.models import Decide, SubmitFeedback
from tests.conftest import body_of
from tests.pages_stack import PagesStack, pages_stack

CHROMIUM = os.environ.get("HEARDBACK_TEST_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying to reach Google's services and,
# on a closed network, stalls.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        not Path(CHROMIUM).is_file(),
        reason=f"no Chromium at {CHROMIUM}: install Debian's chromium "
        "(scripts/ensure-chromium.sh) or set HEARDBACK_TEST_CHROMIUM",
    ),
]

LINE = "You explained the trade-offs of the two queue designs clearly and calmly."
REASONS = (
    "Your schema design handled the reporting queries well, but the migration plan skipped "
    "how existing rows would be backfilled, which the role does every week."
)
# Every visible form control has a <label for=...> naming it (what a screen reader announces).
UNLABELLED_JS = """() => [...document.querySelectorAll("input, textarea, select")]
    .filter((el) => el.type !== "hidden")
    .filter((el) => !el.id || !document.querySelector(`label[for="${CSS.escape(el.id)}"]`))
    .map((el) => el.outerHTML)"""


@pytest.fixture(scope="module")
async def stack(
    devserver: tuple[WorkflowEnvironment, int], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PagesStack]:
    async with pages_stack(devserver, tmp_path_factory.mktemp("pages-browser")) as s:
        yield s


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def open_context(browser: Browser, **options: Any) -> BrowserContext:
    context = await browser.new_context(**options)
    context.set_default_timeout(15_000)
    return context


async def text_of(page: Page) -> str:
    return await page.locator("body").inner_text()


async def test_the_interviewer_writes_the_line_on_a_phone_and_the_candidate_reads_it(
    stack: PagesStack, browser: Browser
) -> None:
    inp, wf = await stack.candidacy()
    url = stack.link(await stack.mail(wf, "feedback_reminder"), "f")
    context = await open_context(browser, **PHONE)
    try:
        page = await context.new_page()
        response = await page.goto(url)
        assert response is not None and response.status == 200
        await expect(page.get_by_role("heading", level=1)).to_have_text("Feedback for Ada Lovelace")
        lines = page.get_by_label("Lines for Ada, one per line")
        await lines.tap()
        await lines.press_sequentially(LINE)  # key by key, as typed
        await expect(lines).to_have_value(LINE)
        await page.get_by_role("button", name="Record the feedback").tap()
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Thank you: the feedback is recorded"
        )
        shown = await text_of(page)
        assert LINE in shown
        assert "Ada will receive this with their next update" in shown
    finally:
        await context.close()
    view = await stack.client.page_view(wf)
    assert view.interviews[0].feedback == [LINE]
    assert view.interviews[0].internal_notes in ([], None)
    await stack.client.decide(
        inp.role.id, inp.candidate.id, Decide(outcome="advance", next_stage="onsite")
    )
    assert LINE in body_of(await stack.mail(wf, "stage_result"))


async def test_the_contact_says_no_with_reasons_on_the_decision_page(
    stack: PagesStack, browser: Browser
) -> None:
    inp, wf = await stack.candidacy(hours=4)
    await stack.client.submit_feedback(
        inp.role.id,
        inp.candidate.id,
        SubmitFeedback(
            interview_id="i-1",
            feedback=["Your walkthrough of the ingestion job was well structured and clear."],
        ),
    )
    url = stack.link(await stack.mail(wf, "escalation", timeout=60), "d")
    context = await open_context(browser, **DESKTOP)
    try:
        page = await context.new_page()
        response = await page.goto(url)
        assert response is not None and response.status == 200
        await expect(page.get_by_role("heading", level=1)).to_have_text("Decision on Ada Lovelace")
        shown = await text_of(page)
        assert "ingestion job" in shown  # the round's feedback so far
        assert "at least 12 words" in shown  # the effort rule, said before anyone types
        reasons = page.get_by_label(re.compile(r"^Reasons Ada can read"))
        await reasons.fill(REASONS)
        await page.get_by_role("button", name="Say no").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Decision recorded")
        assert "Ada will not move forward" in await text_of(page)
        rejection = await stack.mail(wf, "rejection")
        assert "migration plan skipped" in body_of(rejection)
        assert "ingestion job" in body_of(rejection)
        await page.goto(url)  # the same link again: it decided once
        await expect(page.get_by_text("A decision link decides once.")).to_be_visible()
        assert await page.get_by_role("button", name="Say no").count() == 0
    finally:
        await context.close()
    view = await stack.client.page_view(wf)
    assert view.outcome == "rejected"
    assert [d.outcome for d in view.decisions] == ["reject"]


async def test_the_candidate_reads_the_status_page_on_a_phone_and_withdraws_without_javascript(
    stack: PagesStack, browser: Browser
) -> None:
    _, wf = await stack.candidacy()
    url = stack.link(await stack.mail(wf, "acknowledgement"), "s")
    view = await stack.client.page_view(wf)
    reader = Reader(view.candidate_locale, view.candidate_time_zone)
    context = await open_context(browser, **PHONE)
    try:
        page = await context.new_page()
        response = await page.goto(url)
        assert response is not None and response.status == 200
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Your application for Backend Engineer"
        )
        shown = await text_of(page)
        assert f"Your application is at the {view.stage} stage." in shown
        await expect(page.get_by_role("heading", name="What happens next")).to_be_visible()
        if view.promised_by is not None:
            assert f"You will hear from us by {reader.when(view.promised_by)}" in shown
        else:
            assert "You will hear from us within a week at the latest." in shown
        # A time with its zone named: "6:17 PM UTC", "18:17 (Central European Time)".
        assert re.search(r"\d{1,2}:\d{2}(\s?[AP]M)? \(?[A-Z]\w+", shown), shown
        fits = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, "the status page scrolls sideways on a phone"
        assert await page.evaluate(UNLABELLED_JS) == []
    finally:
        await context.close()
    no_js = await open_context(browser, java_script_enabled=False, **PHONE)
    try:
        page = await no_js.new_page()
        await page.goto(url)
        await page.get_by_label("I want to withdraw my application for Backend Engineer").check()
        await page.get_by_label("Anything you would like to tell us").fill("I took another job.")
        await page.get_by_role("button", name="Withdraw").tap()
        await expect(page.get_by_role("status")).to_contain_text("Your application is withdrawn")
        assert "You withdrew your application." in await text_of(page)
    finally:
        await no_js.close()
    assert (await stack.client.page_view(wf)).outcome == "withdrawn"
    await stack.mail(wf, "withdrawal_confirmation")


async def test_a_tampered_link_shows_the_plain_page(stack: PagesStack, browser: Browser) -> None:
    _, wf = await stack.candidacy(interview=False)
    url = stack.link(await stack.mail(wf, "acknowledgement"), "s")
    context = await open_context(browser, **PHONE)
    try:
        page = await context.new_page()
        response = await page.goto(url[:-3] + ("xyz" if url.endswith("abc") else "abc"))
        assert response is not None and response.status == 403
        await expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
        shown = await text_of(page)
        assert "Open it again from the email, in full." in shown
        for leak in ("Traceback", "Internal Server Error", "BadSignature", wf):
            assert leak not in await page.content()
        assert await page.locator("form").count() == 0
    finally:
        await context.close()


async def test_the_feedback_page_works_by_keyboard_alone(
    stack: PagesStack, browser: Browser
) -> None:
    _, wf = await stack.candidacy()
    url = stack.link(await stack.mail(wf, "feedback_reminder"), "f")
    context = await open_context(browser, **DESKTOP)
    try:
        page = await context.new_page()
        await page.goto(url)
        focused: list[str] = []
        for _ in range(6):  # from the top of the page: lines, notes, then the button
            await page.keyboard.press("Tab")
            focused.append(
                await page.evaluate("document.activeElement.id || document.activeElement.tagName")
            )
            if focused[-1] == "lines":
                await page.keyboard.type(LINE)
            if focused[-1] == "BUTTON":
                break
        assert focused[:3] == ["lines", "notes", "BUTTON"], focused
        button = page.get_by_role("button", name="Record the feedback")
        await expect(button).to_be_focused()
        assert await button.evaluate("el => el.matches(':focus-visible')")
        outline = await button.evaluate("el => getComputedStyle(el).outlineStyle")
        assert outline not in ("", "none"), "the focused button shows no outline"
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Thank you: the feedback is recorded"
        )
    finally:
        await context.close()
    assert (await stack.client.page_view(wf)).interviews[0].feedback == [LINE]
