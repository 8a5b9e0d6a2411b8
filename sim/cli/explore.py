"""``negsim explore``: the interactive page, served on this machine until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import webbrowser
from typing import Annotated

import typer

from sim.cli.common import SamplesOption, ScenarioArgument, SeedOption, app, err, fail, load_or_exit, os_error_line

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@app.command(
    epilog="Example: negsim explore scenarios/baseline.yaml --samples 500\n\n"
    "Serves a page on this machine (127.0.0.1, a free port unless --port) and opens it in the browser. Draft a "
    "package, move any party's ranges, red lines and veto, and see the zone, each party and the differences from "
    "the scenario as loaded, with the same samples and seed as `negsim run` (every number equals the CLI's). "
    "Ctrl-C stops it."
)
def explore(
    scenario_path: ScenarioArgument,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: a free one).")] = 0,
    host: Annotated[
        str, typer.Option(help="Address to listen on (loopback by default: nobody else can reach it).")
    ] = "127.0.0.1",
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Print the URL only.")] = False,
    samples: SamplesOption = None,
    seed: SeedOption = None,
) -> None:
    """Serve an interactive page: draft a settlement, tweak the parties, see exact Monte-Carlo answers."""
    from sim.explore.engine import Engine
    from sim.explore.server import Explorer, make_server
    from sim.explore.session import Session

    scenario = load_or_exit(scenario_path, [])
    samples = samples or scenario.run.samples
    seed = scenario.run.seed if seed is None else seed
    if host not in LOOPBACK:
        err.print(f"warning: listening on {host}: anyone who can reach this address can use the page")
    err.print(f"scoring {scenario.id} ({samples:,} samples, seed {seed})...")
    engine = Engine(scenario_path, samples, seed)
    try:
        server = make_server(Explorer(Session(engine)), host, port)
    except OSError as exc:
        fail(f"error: cannot listen on {host}:{port}: {os_error_line(exc)}")
    name = f"[{server.server_address[0]}]" if ":" in server.server_address[0] else server.server_address[0]
    url = f"http://{name}:{server.server_address[1]}/"
    print(f"negsim explore: {url}  (Ctrl-C stops it)", flush=True)
    if not no_browser:
        webbrowser.open(url)
    for stop in (signal.SIGINT, signal.SIGTERM):  # also when started with SIGINT ignored (a background job)
        signal.signal(stop, _interrupt)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        print("negsim explore: stopped", file=sys.stderr, flush=True)
