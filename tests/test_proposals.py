"""proposals' change column says what was searched: a proof only for sizes fully searched, never "none within 0
change(s)" (issue 21: the new user read it as nonsense; the offer as it stands falling short proves nothing)."""

from __future__ import annotations

from sim.studies.proposals import PROPOSAL_CHANGES, _not_found


def test_not_found_says_how_far_the_proof_goes():
    assert _not_found(PROPOSAL_CHANGES) == f"none of at most {PROPOSAL_CHANGES} changes reaches it (proven)"
    for proven in range(-1, PROPOSAL_CHANGES):
        text = _not_found(proven)
        assert "within 0" not in text and "not all searched" in text and "negsim whatif" in text
        assert ("as it stands falls short" in text) == (proven <= 0)
