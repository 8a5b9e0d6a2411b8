"""The real ``negsim`` entry point, run as a subprocess the way users run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from tests.conftest import DATA, NEGSIM, ROOT


def negsim(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(NEGSIM), *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def same_table(a: Path, b: Path) -> bool:
    """Equal Parquet tables, cell by cell, NaN equal to NaN (pyarrow's ``equals`` says NaN != NaN)."""
    left, right = pq.read_table(a), pq.read_table(b)
    return left.schema == right.schema and left.to_pandas().equals(right.to_pandas())


def test_help_lists_every_command_and_each_has_an_example():
    listing = negsim("--help").stdout
    commands = ["validate", "run", "score", "batch", "catalogue", "negotiate", "sensitivity", "whatif", "import-genius"]
    for command in commands:
        assert command in listing
        assert "Example: negsim " + command in negsim(command, "--help").stdout


def test_version():
    assert negsim("--version").stdout.startswith("negsim ")


def test_validate_shipped_scenarios():
    result = negsim("validate", *sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml")))
    assert result.stdout.count("ok ") == len(list((ROOT / "scenarios").glob("*.yaml")))


def test_run_writes_a_complete_run_directory(tmp_path):
    out = tmp_path / "demo"
    negsim(
        "run", str(DATA / "golden.yaml"), "--samples", "400", "--seed", "1", "--out", str(out), "--pair", "money,land"
    )
    bad_pair = negsim(
        "run", str(DATA / "golden.yaml"), "--pair", "land,sea", "--out", str(tmp_path / "no"), check=False
    )
    assert bad_pair.returncode == 2 and "issues: land, money" in bad_pair.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["settings"]["seed"] == 1 and manifest["settings"]["samples"] == 400
    assert len(manifest["scenario_hash"]) == 64 and manifest["versions"]["negsim"]
    assert "--seed 1" in manifest["command"]
    for name in (
        "scenario.resolved.yaml",
        "zone.parquet",
        "offers.parquet",
        "marginals.csv",
        "report.html",
        "plots/utility_pairs.png",
        "plots/zone_histogram.png",
        "plots/convergence.png",
        "plots/option_pairs.png",
        "sample_hits.parquet",
    ):
        assert (out / name).is_file(), name
    # by default the light four; the three label-heavy charts restating the page's tables only on request
    assert sorted(p.name for p in (out / "plots").glob("*.png")) == [
        "convergence.png",
        "option_pairs.png",
        "utility_pairs.png",
        "zone_histogram.png",
    ]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Not drawn for this run: zone by option, offers acceptance, blockers by option." in page
    zone = pq.read_table(out / "zone.parquet")
    assert zone.column_names[:6] == ["package", "land", "money", "p_zone", "p_zone_lo", "p_zone_hi"]
    # only package 2 (split, a_pays) is ever in the zone; every other row is one the run names (solutions, offers)
    p_zone = dict(zip(zone.column("package").to_pylist(), zone.column("p_zone").to_pylist(), strict=True))
    assert p_zone[2] > 0 and all(p == 0 for package, p in p_zone.items() if package != 2)
    assert zone.schema.metadata[b"interval"].startswith(b"95 %")
    summary = manifest["summary"]
    assert summary["p_zone_nonempty_lo"] < summary["p_zone_nonempty"] < summary["p_zone_nonempty_hi"]


def test_same_seed_gives_identical_tables_whatever_the_executor(tmp_path):
    """Threads, a process pool and a Dask LocalCluster score the same blocks into the same tables (the golden
    scenario cut into 3 blocks by a 2-package tail)."""
    scenario = str(DATA / "golden.yaml")
    runs = {
        "threads": ["--workers", "2"],
        "processes": ["--executor", "processes", "--workers", "2"],
        "dask": ["--executor", "dask", "--workers", "2"],
    }
    for name, options in runs.items():
        negsim(
            "run",
            scenario,
            "--samples",
            "300",
            "--seed",
            "5",
            "--set",
            "run.chunk_size=2",
            *options,
            "--out",
            str(tmp_path / name),
        )
    for name in ("processes", "dask"):
        for table in ("zone.parquet", "offers.parquet", "sample_hits.parquet"):
            assert same_table(tmp_path / "threads" / table, tmp_path / name / table), (name, table)
        marginals = (tmp_path / name / "marginals.csv").read_bytes()
        assert marginals == (tmp_path / "threads" / "marginals.csv").read_bytes()


def test_set_overrides_are_recorded_in_the_resolved_scenario(tmp_path):
    out = tmp_path / "set"
    negsim(
        "run",
        str(DATA / "golden.yaml"),
        "--samples",
        "50",
        "--out",
        str(out),
        "--set",
        "alpha.weights.land=0.6",
        "--set",
        "beta.reservation=[0.3,0.5]",
    )
    resolved = (out / "scenario.resolved.yaml").read_text()
    assert "land: 0.6" in resolved and "- 0.3\n" in resolved
    bad = negsim(
        "run", str(DATA / "golden.yaml"), "--set", "alpha.wieghts.land=1", "--out", str(tmp_path / "no"), check=False
    )
    assert bad.returncode == 2 and "did you mean weights" in bad.stderr and not (tmp_path / "no").exists()


def test_existing_run_directory_is_not_overwritten(tmp_path):
    out = tmp_path / "once"
    negsim("run", str(DATA / "golden.yaml"), "--samples", "20", "--out", str(out))
    again = negsim("run", str(DATA / "golden.yaml"), "--samples", "20", "--out", str(out), check=False)
    assert again.returncode == 2 and "complete run" in again.stderr and "--force" in again.stderr


def test_resume_refuses_a_different_scenario(tmp_path):
    out = tmp_path / "r"
    negsim("run", str(DATA / "golden.yaml"), "--samples", "20", "--out", str(out))
    other = negsim(
        "run", str(DATA / "golden.yaml"), "--set", "alpha.reservation=0.1", "--resume", str(out), check=False
    )
    assert other.returncode == 2 and "different scenario" in other.stderr


def test_negotiate_writes_tables_plots_and_a_summary(tmp_path):
    out = tmp_path / "talks"
    result = negsim(
        "negotiate",
        str(DATA / "golden.yaml"),
        "--runs",
        "300",
        "--seed",
        "1",
        "--trace",
        "3",
        "--protocol",
        "mediated",
        "--figures",
        "all",
        "--out",
        str(out),
    )
    assert "agreement rate" in result.stdout and "Most frequent agreements" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["kind"] == "negotiate"
    assert manifest["settings"] == {"protocol": "mediated", "runs": 300, "seed": 1, "trace": 3}
    assert pq.read_table(out / "negotiations.parquet").num_rows == 300
    assert set(pq.read_table(out / "rounds.parquet").column("run").to_pylist()) == {0, 1, 2}
    for plot in ("agreement_frequency", "rounds_histogram", "aspiration_paths", "agreements_vs_zone"):
        assert (out / "plots" / f"{plot}.png").is_file()
    again = negsim("negotiate", str(DATA / "golden.yaml"), "--resume", str(out))
    assert again.returncode == 0 and "agreement rate" in again.stdout


def test_negotiate_draws_the_figures_asked_for(tmp_path):
    drawn = {}
    for choice in ("default", "none"):  # the default is the key two: the rest on request (--figures all)
        out = tmp_path / choice
        asked = [] if choice == "default" else ["--figures", choice]
        result = negsim("negotiate", str(DATA / "golden.yaml"), "--runs", "20", *asked, "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert (out / "report.html").is_file() and pq.read_table(out / "negotiations.parquet").num_rows == 20
        drawn[choice] = sorted(p.name for p in (out / "plots").glob("*.png")) if (out / "plots").exists() else []
    assert drawn == {"default": ["agreement_frequency.png", "talks_vs_zone.png"], "none": []}


def test_run_without_figures_never_imports_matplotlib(tmp_path):
    """``--figures none`` is the fast path (issue 23): the run writes its tables and page without loading the
    plotting library at all (importing it was ~0.5 s of a 4 s baseline run)."""
    code = (
        "import sys\n"
        "from sim.cli.app import app\n"
        "try:\n"
        "    app()\n"
        "except SystemExit as stop:\n"
        "    print('exit', stop.code, 'matplotlib' in sys.modules)\n"
    )
    out = tmp_path / "run"
    argv = ["negsim", "run", str(DATA / "golden.yaml"), "--samples", "64", "--figures", "none", "--out", str(out)]
    result = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.argv = {argv!r}\n" + code], capture_output=True, text=True, cwd=ROOT
    )
    assert result.stdout.strip().splitlines()[-1] == "exit 0 False", result.stderr
    assert (out / "report.html").is_file() and not (out / "plots").exists()


def test_sensitivity_and_whatif_commands(tmp_path):
    study = negsim(
        "sensitivity",
        str(DATA / "golden.yaml"),
        "--samples",
        "200",
        "--rank-by",
        "split_deal",
        "--out",
        str(tmp_path / "s"),
    )
    assert "scored from one shared base" in study.stderr and "Change in split_deal (baseline" in study.stdout
    assert "Alpha: reservation" in study.stdout  # readable names, not raw ids
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["summary"]["ranked_by"] == "offer_split_deal"
    bad_measure = negsim("sensitivity", str(DATA / "golden.yaml"), "--rank-by", "nope", check=False)
    assert bad_measure.returncode == 2 and "split_deal" in bad_measure.stderr
    result = negsim(
        "whatif",
        str(DATA / "golden.yaml"),
        "--offer",
        "split_deal",
        "--target",
        "0.9",
        "--samples",
        "200",
        "--out",
        str(tmp_path / "w.json"),
    )
    answer = json.loads((tmp_path / "w.json").read_text())
    assert answer["offer"] == "split_deal" and answer["definition"].startswith("smallest = fewest changes")
    assert ("Smallest change set" in result.stdout) == answer["found"]
    assert answer["found"] or "No set of at most 3 changes reaches" in result.stdout
    low, high = answer["baseline"]["lo"], answer["baseline"]["hi"]
    assert low <= answer["baseline"]["p"] <= high and f"[{low:.3f}, {high:.3f}]" in result.stdout
    assert all(change["text"] for change in answer["changes"] or [])  # every change explains itself
    bad = negsim("whatif", str(DATA / "golden.yaml"), "--offer", "nope", check=False)
    assert bad.returncode == 2 and "no offer 'nope'" in bad.stderr


def test_an_empty_zone_reads_truthfully_everywhere(tmp_path):
    out = tmp_path / "hard"
    result = negsim("run", str(ROOT / "scenarios" / "hardline-both.yaml"), "--samples", "64", "--out", str(out))
    sentence = "no package is acceptable to every veto party in any sample"
    assert sentence in result.stdout and "closest package" in result.stdout
    assert "best package P(zone)" not in result.stdout
    summary = json.loads((out / "manifest.json").read_text())["summary"]
    assert summary["p_zone_nonempty"] == 0 and summary["p_zone_nonempty_hi"] > 0
    assert summary["best_package"] is None and summary["no_zone"] == sentence
    closest = summary["closest_package"]
    assert closest["total_shortfall"] > 0 and set(closest["shortfall"]) == set(summary["veto_parties"])
    page = (out / "report.html").read_text()
    assert "No package is acceptable to every veto party in any sample" in page and "Best package" not in page
    offers = {row["target"]: row for row in pq.read_table(out / "offers.parquet").to_pylist()}
    assert {row["completion"] for row in offers.values()} == {"closest"}
    roadmap = offers["ukraine_roadmap"]  # fixes alliance.membership_path, a Russian red line
    assert roadmap["reason_party"] == "russia" and roadmap["reason_red_line"] == "alliance.membership_path"
    for row in offers.values():  # a red line is only ever blamed on an option the offer fixes
        assert not row["reason_red_line"] or row["reason_red_line"] in row["fixed"]
        assert all(ref in row["fixed"] for ref in row["blocker_red_lines"].split(", ") if ref)


def test_score_agrees_with_the_run_for_any_package(tmp_path):
    out = tmp_path / "run"
    negsim("run", str(DATA / "golden.yaml"), "--samples", "300", "--seed", "5", "--out", str(out))
    zone = {r["package"]: r for r in pq.read_table(out / "zone.parquet").to_pylist()}
    offer = pq.read_table(out / "offers.parquet").to_pylist()[0]
    whole = negsim(
        "score", str(DATA / "golden.yaml"), "--samples", "300", "--seed", "5", "--package", "land=split,money=a_pays"
    )
    assert (
        f"zone probability {zone[2]['p_zone']:.3f} [{zone[2]['p_zone_lo']:.3f}, {zone[2]['p_zone_hi']:.3f}]"
        in whole.stdout
    )
    assert f"{zone[2]['p_accept_alpha']:.3f}" in whole.stdout
    outside = negsim(
        "score", str(DATA / "golden.yaml"), "--samples", "300", "--seed", "5", "--package", "land=a_keeps,money=a_pays"
    )
    assert "zone probability 0.000" in outside.stdout and "red line: land.a_keeps" in outside.stdout  # beta's red line
    partial = negsim("score", str(DATA / "golden.yaml"), "--samples", "300", "--seed", "5", "--fix", "land=split")
    assert f"P(some completion in zone) {offer['p_complete']:.3f}" in partial.stdout
    named = f"blocker of the partial package: {offer['blocker_name']} (" if offer["blocker"] else "none alone"
    assert named in partial.stdout  # the run's offers table and score --fix name the same blocker
    assert "rejected by Beta in" in outside.stdout  # names, not ids
    bad = negsim("score", str(DATA / "golden.yaml"), "--package", "land=nowhere", check=False)
    assert bad.returncode == 2 and "issue land has no option 'nowhere'" in bad.stderr
    incomplete = negsim("score", str(DATA / "golden.yaml"), "--package", "land=split", check=False)
    assert incomplete.returncode == 2 and "missing: money" in incomplete.stderr


def test_every_command_with_set_has_unset_and_no_python_types_in_help():
    """``--help`` once showed ``--set <list[str]>``, and ``proposals`` had ``--set`` without ``--unset``."""
    for command in [
        "validate",
        "run",
        "score",
        "catalogue",
        "sensitivity",
        "whatif",
        "proposals",
        "negotiate",
        "sweep",
    ]:
        text = negsim(command, "--help").stdout
        assert "--set PATH=VALUE" in text and "--unset PATH" in text, command
        assert "<list[str]>" not in text, command


def test_weights_that_will_be_normalised_warn_on_every_command(golden_path):
    result = negsim("catalogue", str(golden_path), "--set", "alpha.weights.land=1.5")
    assert "warning: party 'alpha' weight on 'land' reaches 1.5, above 1" in result.stderr
    assert "warning: party 'alpha' weights sum to" in result.stderr
    assert "warning" not in negsim("catalogue", str(golden_path)).stderr


def test_the_command_line_starts_without_the_numeric_stack():
    """Issue 23: `negsim --help` must be instant, so loading the command line imports none of the heavy libraries
    (each is imported inside the commands that use it); the precision table in the help is half_width's."""
    from sim.cli.zone import PRECISION_WIDTHS
    from sim.zone.intervals import half_width

    assert {n: round(half_width(n), 3) for n in PRECISION_WIDTHS} == PRECISION_WIDTHS
    heavy = ["numpy", "pydantic", "yaml", "pyarrow", "pandas", "matplotlib", "scipy", "dask", "mesa"]
    probe = f"import sys, sim.cli.app; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.split() == []
    help_text = negsim("--help").stdout
    assert "validate" in help_text and "explore" in help_text


def test_a_zone_run_imports_no_negotiation_model():
    """Issue 23: what `negsim run` imports to score and write a run (its pipeline and the page's answer steps) leaves
    the negotiation model (mesa) out: `--talks 0`, the default, must not pay its import (~1 s)."""
    probe = (
        "import sys, sim.outputs.pipeline, sim.negotiation.page_talks, sim.studies.whatif_page; "
        "print(' '.join(m for m in ('mesa', 'sim.negotiation.model') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.split() == []
