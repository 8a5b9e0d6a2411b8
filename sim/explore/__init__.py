"""The interactive page (``negsim explore``): a thin web face on the zone and its incremental re-scoring.

``settings`` (what the page's controls say, as ``--set``/``--unset`` edits), ``engine`` (the scenario under those edits
and its zone's pairs, re-scored only where a change can reach), ``draft`` (the numbers of a partial package),
``variant`` (an ``extends:`` file holding only the changes), ``render`` (HTML and SVG), ``server`` (the local HTTP
server).
"""
