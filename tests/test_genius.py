"""GENIUS import, cross-checked against an independent brute-force reading of the same XML files."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from sim.scenario.genius import GeniusError, genius_scenario, slug
from sim.scenario.model import Scenario
from sim.zone.bargaining import bargaining_solutions, pareto_frontier
from sim.zone.sampling import point_preferences
from sim.zone.space import PackageSpace
from tests.conftest import DATA, NEGSIM, ROOT

GENIUS = DATA / "genius"
DOMAINS = {
    "Laptop": ("laptop_domain.xml", ["laptop_buyer_utility.xml", "laptop_seller_utility.xml"]),
    "ItexvsCypress": ("ItexvsCypress_domain.xml", ["ItexvsCypress_Itex.xml", "ItexvsCypress_Cypress.xml"]),
}


def independent_utilities(domain: Path, profiles: list[Path]) -> tuple[list[tuple[str, ...]], np.ndarray]:
    """GENIUS semantics read with regular expressions, no negsim code: u = sum_i w_i * eval / max_i(eval)."""
    issues = re.findall(r'<issue[^>]*name="([^"]+)"[^>]*>(.*?)</issue>', domain.read_text(), re.S)
    values = [(name, re.findall(r'value="([^"]*)"', body)) for name, body in issues]
    packages = list(itertools.product(*[v for _, v in values]))
    table = np.zeros((len(packages), len(profiles)))
    for p, profile in enumerate(profiles):
        text = profile.read_text()
        weights = {i: float(w) for i, w in re.findall(r'<weight index="(\d+)" value="([^"]+)"', text)}
        total = sum(weights.values())
        for name, body in re.findall(r'<issue[^>]*name="([^"]+)"[^>]*>(.*?)</issue>', text, re.S):
            issue_index = re.search(rf'<issue[^>]*index="(\d+)"[^>]*name="{re.escape(name)}"', text) or re.search(
                rf'<issue[^>]*name="{re.escape(name)}"[^>]*index="(\d+)"', text
            )
            evals = dict(re.findall(r'value="([^"]*)"\s+cost="[^"]*"\s+evaluation="([^"]+)"', body))
            top = max(float(e) for e in evals.values())
            weight = weights[issue_index.group(1)] / total
            position = [n for n, _ in values].index(name)
            for k, package in enumerate(packages):
                table[k, p] += weight * float(evals[package[position]]) / top
    return packages, table


@pytest.mark.parametrize("folder", list(DOMAINS))
def test_frontier_and_nash_match_an_independent_computation(folder):
    domain_file, profile_files = DOMAINS[folder]
    domain, profiles = GENIUS / folder / domain_file, [GENIUS / folder / f for f in profile_files]
    document, _ = genius_scenario(domain, profiles)
    scenario = Scenario.model_validate(document)
    space = PackageSpace.from_scenario(scenario)
    frontier = pareto_frontier(space, point_preferences(scenario))
    _, utilities = independent_utilities(domain, profiles)
    tolerance = 1e-4  # negsim floors contributions to 2^-20 (13 issues at most: < 2e-5 per utility)
    at_least = (utilities[None, :, :] >= utilities[:, None, :] - tolerance).all(-1)
    better = (utilities[None, :, :] > utilities[:, None, :] + tolerance).any(-1)
    undominated = np.flatnonzero(~(at_least & better).any(axis=1))
    assert set(frontier.packages.tolist()) == set(undominated.tolist())
    assert np.allclose(frontier.utilities, utilities[frontier.packages], atol=tolerance)
    nash = bargaining_solutions(frontier)["nash"]
    products = utilities.prod(axis=1)  # reservation values are 0 in both domains
    assert nash is not None and products[nash.package] >= products.max() - tolerance


def test_cli_import_writes_a_scenario_that_validates_and_warns_about_discounting(tmp_path):
    import subprocess

    domain_file, profile_files = DOMAINS["Laptop"]
    out = tmp_path / "laptop.yaml"
    result = subprocess.run(
        [
            str(NEGSIM),
            "import-genius",
            str(GENIUS / "Laptop" / domain_file),
            *(str(GENIUS / "Laptop" / f) for f in profile_files),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "discount factor 0.42441038 dropped" in result.stderr
    check = subprocess.run([str(NEGSIM), "validate", str(out)], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and "27 packages" in check.stdout
    text = out.read_text()
    assert "label: 19'' LCD" in text and "id: v19_lcd" in text


def test_slugs_are_readable_and_unique():
    taken: set[str] = set()
    assert slug("$3.47", taken) == "usd_3_47"
    assert slug("19'' LCD", taken) == "v19_lcd"
    assert slug("19'' LCD", taken) == "v19_lcd_2"


def test_continuous_and_nonlinear_profiles_are_refused(tmp_path):
    domain = tmp_path / "domain.xml"
    domain.write_text(
        '<negotiation_template><utility_space><objective index="0" name="root">'
        '<issue index="1" name="Price" type="real" etype="real" lowerbound="0" upperbound="10"/>'
        "</objective></utility_space></negotiation_template>"
    )
    with pytest.raises(GeniusError, match="Price' is real; only discrete issues"):
        genius_scenario(domain, [domain, domain])
    discrete = tmp_path / "discrete.xml"
    discrete.write_text(
        '<negotiation_template><utility_space><objective index="0" name="root">'
        '<issue index="1" name="Colour" type="discrete"><item index="1" value="red"/>'
        '<item index="2" value="blue"/></issue></objective></utility_space></negotiation_template>'
    )
    profile = tmp_path / "profile.xml"
    profile.write_text(
        '<utility_space><objective index="0" name="root"><issue index="1" name="Colour" '
        'type="discrete"><evaluator ftype="linear" slope="1" offset="0"/></issue>'
        '<weight index="1" value="1"/></objective></utility_space>'
    )
    with pytest.raises(GeniusError, match="non-linear or continuous profiles"):
        genius_scenario(discrete, [profile, profile])


LAPTOP = GENIUS / "Laptop"
BUYER = (LAPTOP / "laptop_buyer_utility.xml").read_text()
BOMB = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
BROKEN_PROFILES = {
    "non_numeric_evaluation": (BUYER.replace('evaluation="12"', 'evaluation="twelve"'), "'twelve', not a number"),
    "nan_evaluation": (BUYER.replace('evaluation="12"', 'evaluation="nan"'), "must be a finite number >= 0"),
    "negative_weight": (re.sub(r'(<weight index="1" value=")[^"]+', r"\g<1>-0.4", BUYER), "finite number >= 0"),
    "all_zero_weights": (re.sub(r'(<weight index="\d" value=")[^"]+', r"\g<1>0", BUYER), "every issue weight is 0"),
    "reservation_2": (BUYER.replace('<reservation value="0" />', '<reservation value="2" />'), "in [0, 1]"),
    "entity_bomb": (BOMB + BUYER.replace('name="Laptop"', 'name="&lol2;"'), "refused"),
    "not_xml": ("\xff<utility", "cannot read GENIUS XML"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_PROFILES))
def test_broken_profiles_are_clear_errors(tmp_path, name):
    text, message = BROKEN_PROFILES[name]
    profile = tmp_path / f"{name}.xml"
    profile.write_text(text, encoding="latin-1" if name == "not_xml" else "utf-8")
    with pytest.raises(GeniusError, match=re.escape(message)):
        genius_scenario(LAPTOP / "laptop_domain.xml", [profile, LAPTOP / "laptop_seller_utility.xml"])


def test_an_issue_with_one_item_is_a_clear_error(tmp_path):
    domain = (LAPTOP / "laptop_domain.xml").read_text()
    one_item = re.sub(
        r'(<issue[^>]*name="Laptop"[^>]*>\s*<item[^>]*>\s*</item>).*?(</issue>)', r"\1\2", domain, count=1, flags=re.S
    )
    assert one_item != domain
    path = tmp_path / "domain.xml"
    path.write_text(one_item)
    with pytest.raises(GeniusError, match="fewer than two items"):
        genius_scenario(path, [LAPTOP / "laptop_buyer_utility.xml", LAPTOP / "laptop_seller_utility.xml"])


def test_cli_errors_are_one_line_and_the_help_example_runs_on_files_in_the_repo(tmp_path):
    import shlex
    import subprocess

    profile = tmp_path / "nan.xml"
    profile.write_text(BROKEN_PROFILES["nan_evaluation"][0])
    domain = str(LAPTOP / "laptop_domain.xml")
    failed = subprocess.run(
        [str(NEGSIM), "import-genius", domain, str(profile), str(profile), "-o", str(tmp_path / "x.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert failed.returncode == 2 and len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert not (tmp_path / "x.yaml").exists()
    helptext = subprocess.run([str(NEGSIM), "import-genius", "--help"], capture_output=True, text=True).stdout
    example = shlex.split(" ".join(helptext.split("Example:")[1].split()))
    assert "scenarios/" not in " ".join(example)
    for argument in example[2:]:
        if argument.endswith(".xml"):
            assert (ROOT / argument).is_file(), argument
