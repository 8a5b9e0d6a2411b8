"""Every kind of negsim page in a real headless browser: no broken image, no console error, no empty table.

Skipped only when no Chromium is installed (CI installs Debian's ``chromium``). A probe script is added to a copy
of each page, next to the original so relative links resolve as they would for the reader; it records script
errors, failed resource loads, images that did not decode and tables without rows, and Chromium's ``--dump-dom``
hands the record back.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sim.outputs.figure_choice import KEY_FIGURES
from sim.outputs.report import ZONE_PLOTS
from tests.conftest import DATA
from tests.test_cli import negsim

BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no chromium installed (CI installs Debian's chromium)")

PROBE = """<script>
window.__negsim = [];
window.addEventListener("error", e => window.__negsim.push(e.message || ("failed to load " + (e.target.src || ""))),
  true);
const consoleError = console.error;
console.error = (...args) => { window.__negsim.push(args.join(" ")); consoleError(...args); };
window.addEventListener("load", () => {
  const images = [...document.images];
  const record = {
    images: images.length,
    broken: images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt),
    tables: document.querySelectorAll("table").length,
    empty_tables: [...document.querySelectorAll("table")].filter(t => !t.querySelector("tbody tr td")).length,
    errors: window.__negsim,
  };
  const out = document.createElement("pre");
  out.id = "negsim-probe";
  out.textContent = JSON.stringify(record);
  document.body.appendChild(out);
});
</script>"""


def load_in_browser(page: Path) -> dict:
    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    try:
        result = subprocess.run(
            [
                BROWSER,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--dump-dom",
                "--virtual-time-budget=10000",
                probe.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        probe.unlink()
    found = re.search(r'<pre id="negsim-probe">(.*?)</pre>', result.stdout, re.S)
    assert found, f"the page did not finish loading: {result.stderr[-500:]}"
    return json.loads(html.unescape(found.group(1)))


def assert_reads_well(record: dict, min_images: int) -> None:
    assert record["errors"] == [] and record["broken"] == []
    assert record["images"] >= min_images and record["tables"] >= 1 and record["empty_tables"] == 0


def test_review_page_of_a_batch_a_sweep_and_a_run(loop_review):
    # each batch run draws the key figures its page shows (issue 23), and the sweep its curves
    assert_reads_well(load_in_browser(loop_review), min_images=3 * len(KEY_FIGURES) + 1)


def test_compare_page(loop_compare):
    assert_reads_well(load_in_browser(loop_compare[0] / "compare.html"), min_images=2)


def test_single_run_report_of_a_batch(loop_batch):
    """A batch's run draws only its key figures (a standalone run's seven, with --figures all, are read below)."""
    assert_reads_well(load_in_browser(loop_batch / "golden~copy" / "report.html"), min_images=len(KEY_FIGURES))


def test_negotiate_and_sensitivity_pages(tmp_path):
    golden = str(DATA / "golden.yaml")
    negsim("negotiate", golden, "--runs", "20", "--out", str(tmp_path / "talks"))
    negsim("sensitivity", golden, "--samples", "50", "--out", str(tmp_path / "sensitivity"))
    assert_reads_well(load_in_browser(tmp_path / "talks" / "report.html"), min_images=2)  # the key two
    assert_reads_well(load_in_browser(tmp_path / "sensitivity" / "report.html"), min_images=1)


def _golden_with(tmp_path: Path, name: str, extra_party: str = "", beta_reservation: str = "") -> Path:
    import yaml

    doc = yaml.safe_load((DATA / "golden.yaml").read_text(encoding="utf-8"))
    if extra_party:
        doc["parties"].append(yaml.safe_load(extra_party))
    if beta_reservation:
        doc["parties"][1]["reservation"] = yaml.safe_load(beta_reservation)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_report_says_what_keeps_packages_out_and_who_constrains_nothing(tmp_path):
    """A veto party that accepts every package in every sample is named ("constrains nothing") on the console and
    the page; each bargaining solution and each ranked package carries who rejects it and why; with an empty zone
    no ranked package is shown as if it were in the zone."""
    c = "{id: c, name: Gamma, role: guarantor, weights: {land: 1}, values: {land: {a_keeps: 0, split: 1, b_keeps: 1}}"
    scenario = _golden_with(tmp_path, "loose", extra_party=c + ", reservation: 0}")
    result = negsim(
        "run", str(scenario), "--samples", "40", "--seed", "2", "--figures", "all", "--out", str(tmp_path / "loose")
    )
    assert "Constrains nothing: Gamma accepts every package in every sample" in result.stdout
    assert "solution P(zone)" in result.stdout and "rejects every completion in" in result.stdout
    report = tmp_path / "loose" / "report.html"
    text = html.unescape(re.sub(r"<[^>]+>", " ", report.read_text(encoding="utf-8")))
    assert "Constrains nothing: Gamma" in text and "what keeps it out of the zone" in text
    assert "rejected in the other samples by" in text and "Beta" in text
    assert_reads_well(load_in_browser(report), min_images=len(ZONE_PLOTS))

    empty = _golden_with(tmp_path, "empty", beta_reservation="[0.99, 1.0]")
    negsim("run", str(empty), "--samples", "40", "--seed", "2", "--out", str(tmp_path / "empty"))
    page = (tmp_path / "empty" / "report.html").read_text(encoding="utf-8")
    assert "most often in the zone" not in page and "Best package" not in page and "Constrains nothing" not in page
    assert "Closest package" in page or "No feasible package" in page
