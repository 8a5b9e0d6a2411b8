"""Latency of ``negsim explore``: the real command and the real page in Debian's chromium, p50/p95 per kind of change.

Usage: python benchmarks/bench_explore.py [--samples 500 2000] [--repeat 12] [--scenario scenarios/baseline.yaml]

"CPU" is the server process's CPU time for the change (``time.process_time``, every thread): what the change
costs whatever else the machine is doing; on a shared, overloaded machine the wall times are far above it.

Each change is made as a person makes it (a slider's value set and its input event fired, a box unticked, a draft
option picked) and timed in the page from the event to the moment the new results are in the page (the server
answered and the page updated in place: ``window.negsim.settled()``). Slider moves step 0.01 at a time, as a drag
does. Prints the load average before and after: on a shared machine it says how much the times are inflated.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
NEGSIM = Path(sys.executable).with_name("negsim")

TIMED = """async ([selector, value, kind]) => {
  const el = document.querySelector(selector);
  const t0 = performance.now();
  if (kind === "check") { el.checked = value === "on"; el.dispatchEvent(new Event("change", {bubbles: true})); }
  else if (kind === "select") { el.value = value; el.dispatchEvent(new Event("change", {bubbles: true})); }
  else { el.value = value; el.dispatchEvent(new Event("input", {bubbles: true})); }
  await window.negsim.settled();
  return [performance.now() - t0, document.querySelector('[aria-label="How the zone was found"]').textContent,
          Number(document.body.dataset.cpuMs)];
}"""


def changes(repeat: int) -> dict[str, list[tuple[str, str, str]]]:
    """Per kind of change, the sequence of (selector, value, how) the benchmark plays."""

    def name(n: str) -> str:
        return f'[name="{n}"]'

    down = [f"{0.45 - 0.01 * k:.2f}" for k in range(repeat)]
    up = [f"{0.45 - 0.01 * (repeat - 1) + 0.01 * k:.2f}" for k in range(repeat)]
    crimea = ["us_de_jure", "de_facto", "not_recognised", "recognised_russian"]
    return {
        "Russia reservation low, dragged down": [(name("russia|reservation|low"), v, "slide") for v in down],
        "Russia reservation low, dragged up": [(name("russia|reservation|low"), v, "slide") for v in up],
        "Ukraine weight Crimea high, dragged": [
            (name("ukraine|weight|crimea|high"), f"{0.12 + 0.01 * k:.2f}", "slide") for k in range(repeat)
        ],
        "Russia weight Crimea high, dragged": [
            (name("russia|weight|crimea|high"), f"{0.12 + 0.01 * k:.2f}", "slide") for k in range(repeat)
        ],
        "Russia red line holds, raised": [
            (name("russia|red_line|troops.coalition_force|holds"), f"{0.5 + 0.04 * k:.2f}", "slide")
            for k in range(repeat)
        ],
        "Russia red line holds, lowered": [
            (name("russia|red_line|troops.coalition_force|holds"), f"{0.95 - 0.04 * k:.2f}", "slide")
            for k in range(repeat)
        ],
        "Ukraine red line switched off / on": [
            (name("ukraine|red_line|crimea.recognised_russian|on"), "off" if k % 2 == 0 else "on", "check")
            for k in range(repeat)
        ],
        "US Congress veto off / on": [
            (name("us_congress|veto"), "off" if k % 2 == 0 else "on", "check") for k in range(repeat)
        ],
        "Draft: Crimea option": [(name("draft|crimea"), crimea[k % len(crimea)], "select") for k in range(repeat)],
    }


def bench(scenario: Path, samples: int, repeat: int, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    process = subprocess.Popen(
        [str(NEGSIM), "explore", str(scenario), "--no-browser", "--samples", str(samples)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = re.search(r"http://\S+/", process.stdout.readline()).group(0)
        print(f"\n{scenario.name}, {samples:,} samples: page served after {time.perf_counter() - started:.1f} s")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
            )
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(url)
            page.wait_for_selector("body[data-ready='1']")
            print(
                f"{'change':42s} {'p50 ms':>7s} {'p95 ms':>7s} {'max ms':>7s} {'CPU p50':>7s} {'CPU p95':>7s}"
                "  what the last change did"
            )
            for kind, steps in changes(repeat).items():
                page.click("#reset")
                page.evaluate("window.negsim.settled()")
                times, cpus, how = [], [], ""
                for selector, value, action in steps:
                    elapsed, how, cpu = page.evaluate(TIMED, [selector, value, action])
                    times.append(elapsed)
                    cpus.append(cpu)
                p50, p95 = np.percentile(times, [50, 95])
                c50, c95 = np.percentile(cpus, [50, 95])
                print(f"{kind:42s} {p50:7.0f} {p95:7.0f} {max(times):7.0f} {c50:7.0f} {c95:7.0f}  {how}")
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--repeat", type=int, default=12)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("needs Debian's chromium (apt-get install chromium)")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    for samples in args.samples:
        bench(args.scenario, samples, args.repeat, chromium)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
