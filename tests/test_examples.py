"""Every ``negsim ...`` command shown to a reader — in README.md (code blocks, the command table, the prose) and in
every command's ``--help`` example — is executed here, in a copy of the shipped scenarios, and must succeed.

The commands run as written except for their Monte-Carlo work: ``--samples`` (and proposals' ``--whatif-samples``)
is set to a few dozen and ``--runs`` to a handful, so the suite stays fast; arguments, paths, offers and edits are
the reader's own (``negsim explore``, a page served until stopped, is driven by its own tests). They run in reading
order (README code blocks, then the table, then the prose, then ``--help``),
so a command that reads a run directory finds the one an earlier example wrote.
"""

from __future__ import annotations

import glob
import re
import shlex
import shutil
import subprocess
from pathlib import Path

from tests.conftest import NEGSIM, ROOT
from tests.test_cli import negsim

SAMPLES = "24"
RUNS = "4"
SAMPLED = {"run", "batch", "sweep", "sensitivity", "whatif", "proposals", "score", "robustness"}  # negotiate: --runs


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [
        line.split("#")[0].strip()
        for block in re.findall(r"```(?:sh|bash)?\n(.*?)```", text, re.S)
        for line in block.splitlines()
        if line.strip().startswith("negsim ")
    ]
    inline = [
        m
        for m in re.findall(r"`(negsim [^`]+)`", text)
        if any(("/" in w and w != "/") or w == "--help" for w in shlex.split(m))
    ]
    return [*blocks, *inline]


def help_commands() -> list[str]:
    from sim.cli.app import app

    found = []
    for command in app.registered_commands:
        match = re.search(r"Example: (negsim .*?)(?:\s{2,}\(|\s\(|\n|$)", command.epilog or "", re.S)
        if match:
            found.append(" ".join(match.group(1).split()))
    return found


def lighter(args: list[str]) -> list[str]:
    """The same command with a few dozen samples and a handful of runs."""
    args = list(args)
    for flag, value in (("--samples", SAMPLES), ("--runs", RUNS), ("--whatif-samples", SAMPLES)):
        if flag in args:
            args[args.index(flag) + 1] = value
    if args[0] in SAMPLED and "--samples" not in args and "--resume" not in args:
        args += ["--samples", SAMPLES]
    if args[0] == "proposals" and "--whatif-samples" not in args:
        args += ["--whatif-samples", SAMPLES]
    return args


OUTPUT_FLAGS = ("--out", "-o", "--markdown", "--calibration", "--plots-dir")


def placeholder(line: str) -> bool:
    """A prose illustration with placeholders (``runs/<time>-batch``, ``s.yaml``): nothing to run as written."""
    words = shlex.split(line)
    inputs = [w for k, w in enumerate(words) if w.endswith(".yaml") and words[k - 1] not in OUTPUT_FLAGS]
    made = {words[k + 1] for k, w in enumerate(words[:-1]) if w in OUTPUT_FLAGS}
    return "<" in line or any(not (ROOT / w).exists() and w not in made and "variant" not in w for w in inputs)


def subsumed(line: str, others: list[str]) -> bool:
    """An example whose words (with its Monte-Carlo work lightened, as it runs here) are all in a longer example of
    the same command (``negsim robustness S`` beside ``negsim robustness S --markdown docs/robustness.md --force``):
    the longer one runs every option it shows, so running both would only repeat the same work (a robustness
    study is 23 zone runs)."""
    words = lighter(shlex.split(line)[1:])
    return any(
        (longer := lighter(shlex.split(other)[1:]))[0] == words[0] and set(words) < set(longer) for other in others
    )


def commands() -> list[str]:
    """Every example, once; ``negsim explore`` serves its page until stopped, so its examples are driven by the
    page's own tests (tests/test_explore_page.py), not run here; prose placeholders are not commands; an example
    contained in a longer one of the same command runs as part of that one."""
    found = list(dict.fromkeys([*readme_commands(), *help_commands()]))
    return [c for c in found if not c.startswith("negsim explore") and not placeholder(c) and not subsumed(c, found)]


def test_every_example_is_found():
    found = commands()
    assert any("whatif" in c and "us_28pt_nov2025" in c for c in found)
    assert any(c.startswith("negsim score") for c in found) and len(help_commands()) >= 14


def _paths(line: str) -> tuple[set[str], set[str]]:
    """What an example reads that a fresh copy of the scenarios lacks (made by an earlier example), and what it
    writes (the values of its output flags)."""
    words = shlex.split(line)[2:]
    made = {words[k + 1] for k, w in enumerate(words[:-1]) if w in OUTPUT_FLAGS}
    read = {
        w
        for k, w in enumerate(words)
        if not w.startswith("-")
        and (k == 0 or words[k - 1] not in OUTPUT_FLAGS)
        and ("/" in w or w.endswith(".yaml"))
        and not glob.glob(w, root_dir=ROOT)
    }
    return read, made


def chained() -> tuple[list[str], list[str]]:
    """The examples split in two lists that need nothing from each other, each in reading order: those that read
    what an earlier example wrote (``runs/base``...) with the examples that write it, and every second other one;
    then the rest. Two test modules run them, so the two cores share the work (the standalone studies weigh about
    three times the README loop)."""
    found = commands()
    reads = set().union(*(_paths(c)[0] for c in found))
    linked = [c for c in found if _paths(c)[0] or _paths(c)[1] & reads]
    rest = [c for c in found if c not in linked]
    return linked + rest[1::2], rest[0::2]


def run_examples(lines: list[str], tmp_path: Path) -> None:
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    shutil.copytree(ROOT / "tests" / "data" / "genius", tmp_path / "tests" / "data" / "genius")
    (tmp_path / "docs").mkdir()
    for line in lines:
        words = shlex.split(line)[1:]
        expanded = [w for word in words for w in (sorted(glob.glob(word, root_dir=tmp_path)) or [word])]
        result = subprocess.run(
            [str(NEGSIM), *lighter(expanded)], cwd=tmp_path, capture_output=True, text=True, timeout=3600
        )
        assert result.returncode == 0, f"{line}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"


def test_the_readme_loop_examples_run(tmp_path):
    """The examples that build on each other (new -> run -> compare -> sweep -> report, run --resume ...) and
    half of the others."""
    linked, rest = chained()
    assert linked and rest and sorted(linked + rest) == sorted(commands())
    run_examples(linked, tmp_path)


def test_score_names_the_constraint_that_rules_a_partial_package_out():
    """The README's score example: a written pledge of no NATO entry for ex-Soviet states cannot come with
    Ukraine's open door (a constraint), and the answer says so instead of 'no feasible completion'."""
    line = "negsim score scenarios/baseline.yaml --fix alliance=open_door,enlargement=written_pledge"
    result = negsim(*shlex.split(line)[1:], "--samples", SAMPLES, cwd=Path(ROOT))
    assert "ruled out by the constraint forbid: [enlargement.written_pledge, alliance.open_door]" in result.stdout
    assert "covers Ukraine too" in result.stdout  # the constraint's own why
