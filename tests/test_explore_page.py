"""``negsim explore`` in a real browser: the real command on a free port, driven through the page's accessible names,
every number checked against the CLI's (``negsim score --fix``, ``negsim run --set``, ``negsim run VARIANT``).

One server and one browser for the module (Debian's chromium, never a downloaded one); skipped only without it.
Screenshots of each step go to ``$NEGSIM_SHOTS`` when set (to look at them), else to the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from sim.scenario.loading import load_scenario
from tests.conftest import NEGSIM, ROOT
from tests.test_cli import negsim

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (CI installs Debian's chromium)")
SAMPLES = "120"
BASELINE = ROOT / "scenarios" / "baseline.yaml"
ESTIMATE = r"(\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\])"


@pytest.fixture(scope="module")
def explored(tmp_path_factory) -> Path:
    """The baseline copied to a folder of the test's own: a saved variant goes beside the scenario it extends."""
    folder = tmp_path_factory.mktemp("explored") / "scenarios"
    shutil.copytree(ROOT / "scenarios", folder)
    return folder / BASELINE.name


@pytest.fixture(scope="module")
def server(explored):
    process = subprocess.Popen(
        [str(NEGSIM), "explore", str(explored), "--no-browser", "--samples", SAMPLES],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    url = None
    deadline = time.monotonic() + 180
    while url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        url = found.group(1) if found else None
    assert url, process.stderr.read() if process.poll() is not None else "no URL printed"
    yield url
    process.send_signal(signal.SIGINT)  # Ctrl-C
    assert process.wait(timeout=30) == 0
    process.stdout.close()
    with process.stderr:
        assert "stopped" in process.stderr.read()


@pytest.fixture(scope="module")
def page(server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("NEGSIM_SHOTS") or tmp_path_factory.mktemp("shots"))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        tab = browser.new_page(viewport={"width": 1500, "height": 1000})
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        tab.goto(server)
        tab.wait_for_selector("body[data-ready='1']")
        tab.shots = shots  # type: ignore[attr-defined]
        yield tab
        browser.close()
        assert not errors, errors


def number(tab, name: str) -> str:
    return tab.get_by_role("status", name=name, exact=True).inner_text().strip()


def settle(tab, step: str) -> None:
    tab.evaluate("window.negsim.settled()")
    tab.screenshot(path=str(tab.shots / f"{step}.png"), full_page=True)


def open_party(tab, pid: str) -> None:
    """Unfold a party's controls, as a person clicks its name."""
    details = tab.locator(f"details.party:has([name^='{pid}|'])")
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def slide(tab, label: str, value: str) -> None:
    """Move a slider as a person does: its value changes and it fires input events."""
    tab.get_by_label(label, exact=True).evaluate(
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", value
    )


def test_1_baseline_loads_with_every_number_named(page):
    settle(page, "1-loaded")
    assert re.fullmatch(ESTIMATE, number(page, "P(zone non-empty)"))
    assert re.fullmatch(ESTIMATE, number(page, "Russia P(accept draft)"))
    assert page.get_by_label("Draft: Crimea", exact=True).count() == 1
    assert page.get_by_label("Russia reservation low", exact=True).count() == 1
    red = page.locator("[name='ukraine|red_line|donbas.recognised_withdrawal|holds']").get_attribute("aria-label")
    donbas = next(issue for issue in load_scenario(BASELINE).issues if issue.id == "donbas")
    option = next(o.label for o in donbas.options if o.id == "recognised_withdrawal")  # the page names it as written
    assert red == f"Ukraine red line: Donetsk and Luhansk — {option}: holds"
    assert page.get_by_label(red, exact=True).count() == 1


def test_2_a_scenario_offer_as_the_draft_has_score_fix_numbers(page):
    page.get_by_label("Load offer as draft").select_option("us_28pt_nov2025")
    settle(page, "2-offer-draft")
    fix = json.loads(page.locator("#load-offer option[value='us_28pt_nov2025']").get_attribute("data-fix"))
    assert page.get_by_label("Draft: Crimea", exact=True).input_value() == fix["crimea"]
    cli = negsim(
        "score", str(BASELINE), "--samples", SAMPLES, "--fix", ",".join(f"{i}={o}" for i, o in fix.items())
    ).stdout
    assert f"P(some completion in zone) {number(page, 'Draft P(some completion in zone)')}" in cli
    package = re.search(r"package \d+: (.*?)\n", cli.replace("; \n", "; ")).group(1).strip()
    assert number(page, "Draft completion") == package
    for name in ("Russia", "Ukraine", "United States"):
        row = next(line for line in cli.splitlines() if line.startswith(f"│ {name} "))
        cells = [cell.strip() for cell in row.strip("│").split("│")]
        assert cells[1] == number(page, f"{name} P(accept completion)")
        assert cells[2] == number(page, f"{name} expected utility")
        assert cells[3] == number(page, f"{name} mean reservation")


def test_2b_what_would_it_take_is_negsim_whatif(page, tmp_path):
    """ "What would it take" for a scenario offer as the draft gives ``negsim whatif``'s answer (same samples, seed,
    target and K): the verdict sentence, every change with its concession, the moved issues marked in the draft,
    and the command line shown reproduces it."""
    page.get_by_label("Load offer as draft").select_option("us_ukraine_20pt_dec2025")
    settle(page, "2b-offer-draft")
    page.get_by_label("What would it take: target P(zone)", exact=True).fill("0.01")
    page.get_by_label("What would it take: at most changes", exact=True).fill("2")
    page.get_by_role("button", name="What would it take", exact=True).click()
    settle(page, "2b-what-would-it-take")
    assert number(page, "What would it take: search status").startswith("done in")
    out = tmp_path / "whatif.json"
    cli = negsim(
        "whatif",
        str(BASELINE),
        "--offer",
        "us_ukraine_20pt_dec2025",
        "--target",
        "0.01",
        "--max-changes",
        "2",
        "--samples",
        SAMPLES,
        "--out",
        str(out),
    ).stdout
    answer = json.loads(out.read_text(encoding="utf-8"))
    flat = " ".join(cli.split())
    verdict = number(page, "What would it take")
    assert " ".join(verdict.split()) in flat and " ".join(number(page, "What would it take: now").split()) in flat
    assert answer["found"] and answer["reached"]["p"] >= 0.01
    assert f"reaches {answer['reached']['p']:.3f} [" in verdict and f"{answer['total_concession']:.4f}" in verdict
    rows = page.locator("table.whatif tbody tr")
    assert rows.count() == len(answer["changes"])
    for k, change in enumerate(answer["changes"]):
        cells = rows.nth(k).locator("td")
        assert cells.nth(0).inner_text() == change["text"]
        assert cells.nth(1).inner_text() == f"{change['concession']:.4f}"
    moved = [c for c in answer["changes"] if c["kind"] == "issue"]
    assert page.locator("table.completion td.whatif").count() == len(moved)
    command = number(page, "What would it take: command")
    assert "--offer us_ukraine_20pt_dec2025 --target 0.01 --max-changes 2 --samples 120" in command
    page.get_by_label("What would it take: at most changes", exact=True).fill("9")
    page.get_by_role("button", name="What would it take", exact=True).click()
    settle(page, "2b-bad-changes")
    assert "at most changes '9' is not 0 to 6" in page.get_by_role("alert").inner_text()


def test_2c_a_change_calls_off_what_would_it_take_and_is_answered_at_once(page):
    """A long search (Article 5 without membership to P = 1 with up to 6 changes: ~15 s at these samples) does not
    hold the page: a slider moved while it runs is answered (the headline moves) and the search is called off. Had
    the change waited for the search, the search would have finished ("done in") before the headline moved. The
    Cancel button calls a search off too."""
    page.get_by_label("Load offer as draft").select_option("article5_no_membership")
    settle(page, "2c-offer-draft")
    headline = number(page, "P(zone non-empty)")
    status = page.get_by_role("status", name="What would it take: search status", exact=True)
    page.get_by_label("What would it take: target P(zone)", exact=True).fill("1")
    page.get_by_label("What would it take: at most changes", exact=True).fill("6")
    page.get_by_role("button", name="What would it take", exact=True).click()
    assert status.inner_text().startswith("searching")
    page.screenshot(path=str(page.shots / "2c-searching.png"), full_page=True)
    open_party(page, "russia")
    slide(page, "Russia reservation low", "0.3")
    page.wait_for_function(
        "h => document.querySelector('[aria-label=\"P(zone non-empty)\"]').textContent.trim() !== h", arg=headline
    )
    settle(page, "2c-called-off-by-a-change")
    assert status.inner_text().startswith("called off")
    assert number(page, "P(zone non-empty)") != headline
    assert page.locator(".whatif-answer").count() == 0  # no answer shown for a page that moved on

    page.get_by_role("button", name="What would it take", exact=True).click()
    assert status.inner_text().startswith("searching")
    page.get_by_role("button", name="What would it take: cancel", exact=True).click()
    settle(page, "2c-cancelled")
    assert status.inner_text().startswith("called off")
    assert page.get_by_role("button", name="What would it take: cancel", exact=True).is_disabled()
    assert page.get_by_role("alert").inner_text().strip() == ""


def test_3_a_reservation_slider_moves_the_headline_to_run_set(page, tmp_path):
    open_party(page, "russia")
    slide(page, "Russia reservation low", "0.3")
    settle(page, "3-russia-reservation")
    assert page.get_by_label("Russia reservation low, typed", exact=True).input_value() == "0.3"
    high = page.get_by_label("Russia reservation high", exact=True).input_value()
    cli = negsim(
        "run",
        str(BASELINE),
        "--samples",
        SAMPLES,
        "--set",
        f"russia.reservation=[0.3, {high}]",
        "--out",
        str(tmp_path / "run"),
    ).stdout
    assert f"P(zone not empty) {number(page, 'P(zone non-empty)')}" in cli
    assert "beyond noise" in number(page, "Difference: P(zone non-empty)") or "noise" in cli


def test_4_switching_a_red_line_off_can_only_open_the_zone(page):
    before = float(number(page, "P(zone non-empty)").split()[0])
    open_party(page, "ukraine")
    switch = page.locator("[name='ukraine|red_line|crimea.recognised_russian|on']").get_attribute("aria-label")
    assert switch.startswith("Ukraine red line: Crimea — ") and switch.endswith(": on")
    page.get_by_label(switch, exact=True).uncheck()
    settle(page, "4-red-line-off")
    assert float(number(page, "P(zone non-empty)").split()[0]) >= before
    assert "red line lowered" in number(page, "How the zone was found")


def test_5_a_bad_typed_value_is_refused_and_the_page_keeps_working(page):
    field = page.get_by_label("Ukraine reservation low, typed", exact=True)
    field.fill("abc")
    field.press("Enter")
    settle(page, "5-bad-value")
    assert "Ukraine reservation low: 'abc' is not a number" in page.get_by_role("alert").inner_text()
    assert field.input_value() != "abc"
    page.get_by_label("Draft: Crimea", exact=True).select_option("")
    settle(page, "5-after-bad-value")
    assert page.get_by_role("alert").inner_text().strip() == ""
    assert re.fullmatch(ESTIMATE, number(page, "Draft P(some completion in zone)"))


def test_6_a_saved_variant_validates_and_runs_to_the_page_numbers(page, explored, tmp_path):
    path = explored.parent / "explored.yaml"
    page.get_by_label("Variant file").fill(str(path))
    page.get_by_label("Variant why").fill("Russia settles for less; Ukraine's Crimea red line tested")
    page.get_by_role("button", name="Save as variant").click()
    settle(page, "6-saved")
    assert f"wrote {path}" in number(page, "Saved variant")
    assert "extends:" in path.read_text(encoding="utf-8")
    negsim("validate", str(path))
    cli = negsim("run", str(path), "--figures", "none", "--out", str(tmp_path / "variant-run")).stdout
    assert f"P(zone not empty) {number(page, 'P(zone non-empty)')}" in cli
    page.get_by_role("button", name="Save as variant").click()
    settle(page, "6-not-overwritten")
    assert "exists" in page.get_by_role("alert").inner_text()
