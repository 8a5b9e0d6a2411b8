"""The Mesa layer: concession strategies, party and mediator agents, the negotiation model, repeated runs."""
