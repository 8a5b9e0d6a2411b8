"""Ratification semantics of issue 19: coherent red lines, correlated draws, voting bodies."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.scenario.model import Scenario
from sim.zone.sampling import sample_preferences
from tests.strategies import language_scenario_dicts


@given(language_scenario_dicts(max_issues=3, max_options=4), st.data())
def test_red_lines_of_one_issue_nest(doc, data):
    """Whenever a red line with a smaller ``holds`` holds, every red line of the party on that issue with a larger
    ``holds`` holds too (one draw per party, issue and sample)."""
    party = doc["parties"][0]
    issue = data.draw(st.sampled_from(doc["issues"]))
    holds = data.draw(st.lists(st.floats(0, 1).map(lambda x: round(x, 3)), min_size=2, max_size=len(issue["options"])))
    party["red_lines"] = [
        {"option": f"{issue['id']}.{option['id']}", "holds": h}
        for option, h in zip(issue["options"], holds, strict=False)
    ]
    scenario = Scenario.model_validate(doc)
    prefs = sample_preferences(scenario, 300, np.random.default_rng(data.draw(st.integers(0, 2**16))))
    mine = [red for red in prefs.red_line_list if red.party == 0]
    for weaker in mine:
        for stronger in mine:
            if weaker.holds <= stronger.holds:
                assert not (weaker.in_sample & ~stronger.in_sample).any()
