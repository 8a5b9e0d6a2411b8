"""The plain-words part of ``docs/calibration.md``: how negsim reads a vote, heterogeneity and dependence (issue 19),
appended by :func:`sim.studies.fit_outputs.calibration_markdown` after the generated tables."""

GUIDE = """
## How negsim models a vote: bodies, spread, correlations (issue 19)

**Two kinds of uncertainty, kept apart.** Each Monte-Carlo sample is one possible state of the world: *what is the
Ukrainian public like?* (its weights, values, reservation, drawn from their ranges). A ratifier without an
`electorate` is one decision-maker: in a sample it accepts or rejects, so the share of samples in which it accepts is
a *probability*, not a share of people. A ratifier with an `electorate` is a body:

- `voters: 1000` — a population. Inside every sample there are 1,000 voters who differ from the sample's draw by
  `spread` (half-widths: `reservation`, `weights`, `values`). The body passes a package in that sample when the share
  of voters accepting it meets `rule` (`majority`: more than half; `two_thirds`: at least 2/3; `unanimity`: all; a
  number p: at least p). The voters are the same in every sample and run (a centred Latin hypercube seeded by the
  party's id), so the share is the population's, not Monte-Carlo noise; each voter differs from the sample's draw by
  the same amount in every sample (the change its perturbed weights and values make at the party's published
  midpoints). With `voters: 1` and no spread a body is exactly the old single-draw ratifier.
- `members: [...]` — a chamber: factions or member states with `seats`, each stating its own `weights`, `values`,
  `reservation` or `red_lines` where it differs (else the party's, with the same draw). A member votes as a bloc.

**Worked example.** A referendum whose voters' reservations are spread evenly between 0 and 1 (`reservation: 0.5`,
`spread: {reservation: 0.5}`) is offered a package worth 0.6 to every voter. Exactly 600 of the 1,000 voters accept
it in every sample, so under `majority` it passes in 100 % of samples and under `two_thirds` in 0 % (the test
`tests/test_ratification.py` checks both). Read the old way (one respondent per sample) the same numbers would have
said "passes in 60 % of samples". A run reports both numbers side by side: `p_accept_<body>` is P(the body passes),
`share_<body>` its expected accepting share over the samples with a 95 % interval (in `zone.parquet` for every
package in the zone in some sample, and for every offer's completion in `offers.parquet`).

A chamber example: the Rada with `rule: two_thirds` and members `{servant: 230, opposition: 175, other: 45}` passes
a constitutional amendment in a sample only when blocs holding 300 of 450 seats accept it; a three-member chamber
with `unanimity` is exactly three separate ratifiers (tested).

**Dependence.** Everything is drawn independently unless the scenario says otherwise. `correlations:` ties two
uncertain quantities (`party.reservation`, `party.weights.<issue>`, `party.values.<issue>.<option>`,
`party.red_lines.<issue>`, or `party.red_lines`: its resolve on all its red lines, which then hold or yield together)
through a Gaussian copula: each keeps exactly its own distribution (its range, its `holds`), only how they move
together changes; `rho: 1` between two identical parties makes them decide identically in every sample (tested). A
ratifier with `follows: {party: ukraine, rho: 0.7}` correlates its reservation, and its red lines issue by issue, with
the party it follows. Correlations that cannot hold together (a matrix that is not positive semi-definite, e.g. three
quantities each at -0.9 with the others) are an error at the line that breaks them.

**Coherent red lines.** A party's red lines on options of one issue share one draw per sample, so they nest: a party
that refuses permanent neutrality with a written pledge in a sample (holds 0.6) also refuses the milder options it is
surer to refuse (holds 0.85, 0.9). Drawn per option, some pair of Ukraine's alliance red lines inverted in 17.9 % of
the baseline's samples; nesting raised the baseline's P(zone non-empty) from 0.036 to 0.041.

**Calibration as inference: `negsim calibrate`.** A data file (`negsim_data: 1`) names the party, the `free`
quantities (`reservation`, `weights.<issue>`, `values.<issue>[.<option>]`, `links` or one link
`links.<when>-><option>`, `electorate.spread.<reservation|weights|values>`), the observations (each a package
given by `fix` and completed by `status_quo`, the observed share `accept`, the sample size `n`, date and source)
and the `holdout` ids. The modelled
share is the share of the party's electorate accepting the package at the party's draw; the likelihood is binomial
in each `n`; the posterior (uniform priors) is computed by importance sampling on scrambled Sobol points (scipy); the
fitted ranges are its 95 % intervals. The command writes an `extends:` variant holding only the fitted values (each
with a reason naming the data and the fit), a CSV and a plot of observed vs fitted shares (fit set) and of predicted
shares with 95 % predictive intervals vs observed (held-out set), and a fit-quality figure. A fit is not a
prediction: only the held-out rows test the model. On synthetic polls of 1,000 drawn from known numbers (reservation
0.62, weight 0.8) the fit recovered [0.614, 0.626] and [0.773, 0.846], and the four held-out polls fell inside their
predictive intervals (`tests/test_calibrate.py`).
"""
