"""Starting points for new scenarios (``negsim new``): a small self-contained scenario, or a variant of an existing one.

Both are commented YAML that validates as written, so a new user edits something that works instead of a blank
page; every commented example is valid when uncommented (a test loads the variant with its examples switched on).
The variant gets its own id, so runs and plots of it never collide with its parent's (issue 11 part 6).
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.scenario.model import Scenario

STARTER = """\
# {name}: a negsim scenario (written by `negsim new {name}`). Every key is described in docs/format.md.
# Check it with `negsim validate {file}`; run it with `negsim run {file}`.
negsim: 1
id: {name}
title: "{name}: a two-issue example to edit"
description: Two parties bargain over land and money; a public must ratify what they agree.

sources:                       # what positions rest on; cite them in any `sources:` list as S1 or {{S1: "quote"}}
  S1: {{title: "An article stating the positions", date: "2026-01-01", url: https://example.org/article}}

issues:                        # a package picks exactly one option of every issue
  - id: land
    title: Who holds the disputed land
    options:
      - {{id: a_keeps, label: "A keeps the land", sources: [S1]}}
      - {{id: split, label: "The land is split", sources: [S1]}}
      - {{id: b_keeps, label: "B keeps the land", sources: [S1]}}
  - id: money
    title: Who pays for reconstruction
    options:
      - {{id: a_pays, label: "A pays", sources: [S1]}}
      - {{id: b_pays, label: "B pays", sources: [S1]}}

parties:
  - id: alpha
    name: Alpha
    role: negotiator           # negotiator | guarantor | ratifier (all hold a veto) | mediator (no veto)
    weights: {{land: [0.6, 0.8], money: 0.3}}   # a number is exact, [lo, hi] is uniform uncertainty
    values:                    # 1 = the party's ideal option, 0 = its worst
      land: {{a_keeps: 1, split: [0.4, 0.6], b_keeps: 0}}
      money: {{a_pays: 0, b_pays: 1}}
    reservation: [0.35, 0.5]   # accepts a package whose utility reaches this
    red_lines:                 # refused options; `holds` is the probability that the refusal is real
      - {{option: land.b_keeps, holds: 0.8, why: "stated, but it has conceded land before", sources: [S1]}}
    links:                     # the value of `option` when `when` is also in the package
      - {{when: money.b_pays, option: land.split, value: [0.6, 0.8], why: "a split is easier if B pays"}}
    strategy: {{concession: boulware}}   # how it bargains in `negotiate`
    reasons:                   # why each number is what it is
      weights: {{why: "land matters most to Alpha", sources: [S1]}}
  - id: beta
    name: Beta
    weights: {{land: 0.5, money: 0.5}}
    values:
      land: {{a_keeps: 0, split: 0.5, b_keeps: 1}}
      money: {{a_pays: 1, b_pays: 0}}
    reservation: [0.3, 0.5]
    red_lines: [land.a_keeps]  # a bare option ref: holds 1
    reasons:
      weights: {{why: "both issues matter equally to Beta", sources: [S1]}}
      red_lines.land.a_keeps: {{why: "ruled out in every statement", sources: [S1]}}
  - id: public
    name: Beta's public (referendum)
    role: ratifier             # votes on the final package only; weighs only the issues in its purview
    weights: {{land: 1}}
    values: {{land: {{a_keeps: 0, split: [0.3, 0.6], b_keeps: 1}}}}
    reservation: [0.3, 0.5]
    reasons:
      weights: {{why: "a referendum is required for any territorial change", sources: [S1]}}

constraints:                   # packages that cannot exist
  - {{requires: [land.split], one_of: [money.a_pays, money.b_pays], why: "a split needs someone to pay"}}

offers:                        # named proposals; issues an offer does not fix stay open
  - {{id: split_deal, label: "Split the land", sponsor: beta, fix: {{land: split}}, sources: [S1]}}

run: {{samples: 2000, seed: 1, rounds: 30, after_failed_ratification: reopen}}
"""

VARIANT = """\
# {name}: a variant of {parent_file} (written by `negsim new {name} --from {parent_file}`).
# State only what differs; everything else is inherited. Keys: docs/format.md. Check: `negsim validate {file}`.
negsim: 1
extends: {parent}
id: {name}                     # its own id, so its runs and plots never mix with the parent's
title: "{title} (variant {name})"

# Remove inherited things (the paths of --unset; a removed red line's reason goes with it):
# unset:
{unset_examples}
# Change a party: parties merge by id, so give the id and only what changes. A list (red_lines, links) is replaced.
# parties:
#   - id: {party}
#     reservation: {reservation}
#     weights: {{{issue}: {weight}}}
#     red_lines: [{red_line_example}]

# run: {{samples: {samples}, seed: {seed}}}
"""


def starter_scenario(name: str, file: str) -> str:
    """A self-contained scenario using every key people tune: ranges, red lines with holds, links, a ratifier."""
    return STARTER.format(name=name, file=file)


def variant_scenario(name: str, parent: Scenario, parent_path: Path, out_path: Path) -> str:
    """An ``extends:`` child of ``parent`` with commented, valid examples drawn from the parent itself."""
    party = parent.veto_parties[0]
    issue = next(i.id for i in parent.issues if party.weighs(i.id))
    unset = [f"{party.id}.red_lines.{r.option}" for r in party.red_lines[:1]]
    unset += [f"offers.{offer.id}" for offer in parent.offers[:1]]
    unset_examples = "\n".join(f"#   - {path}" for path in unset) or "#   - constraints.0"
    first = party.red_lines[0].option if party.red_lines else f"{issue}.{parent.issue(issue).option_ids[-1]}"
    relative = os.path.relpath(parent_path.resolve(), out_path.resolve().parent)
    low, high = party.reservation
    return VARIANT.format(
        name=name,
        file=out_path.as_posix(),
        parent=Path(relative).as_posix(),
        parent_file=parent_path.as_posix(),
        title=parent.title.replace('"', "'"),
        unset_examples=unset_examples,
        party=party.id,
        reservation=f"[{low:g}, {high:g}]" if low != high else f"{low:g}",
        issue=issue,
        weight=f"{sum(party.weight_range(issue)) / 2:.2g}",
        red_line_example=f"{{option: {first}, holds: 0.5}}",
        samples=parent.run.samples,
        seed=parent.run.seed,
    )
