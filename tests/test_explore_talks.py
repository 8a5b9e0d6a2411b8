"""sim.explore.talks: one negotiation of the page's scenario, round by round, as the Mesa model recorded it."""

from __future__ import annotations

from pathlib import Path

from sim.explore.talks import play_one, talks_html
from sim.negotiation.protocol import Protocol
from sim.scenario.loading import load_scenario


def test_one_run_is_shown_round_by_round_with_its_outcome():
    scenario = load_scenario(Path("tests/data/explore/small.yaml"))
    rows, outcome = play_one(scenario, Protocol.alternating, 5)
    assert rows and {r.party for r in rows} <= {p.id for p in scenario.parties}
    assert max(r.round for r in rows) == outcome.round
    html = talks_html(scenario, rows, outcome, 5)
    assert "aria-label='Talks outcome'" in html
    assert ("agreed in round" in html) == outcome.agreed
    assert html.count("<tr><td>") == len({r.round for r in rows})
    again, _ = play_one(scenario, Protocol.alternating, 5)
    assert repr(again) == repr(rows)  # the seed decides the run (repr: NaN equals NaN)
