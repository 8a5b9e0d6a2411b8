"""The local HTTP server of ``negsim explore``: one page, its two static files, and four JSON actions.

Python's own ``http.server`` serves it (no web framework: docs/design-explore.md measures the alternatives). The
browser sends each control's change as it happens; the server applies every change in order (they are cheap: a
setting) but computes the results only for the newest request — an older one still waiting when a newer one arrives
is answered "stale" without any scoring, so a dragged slider never queues up work (the page also holds back
changes while a request is in flight and sends them together). A bad value is refused with a message naming the
control, its field is put back, and the page keeps working.

"What would it take" can search for seconds to minutes, so it never holds the page: it takes what it needs under the
lock (``Session.whatif_search``) and runs without it. Every change, reset, new search or Cancel moves the page to a
new *generation*; the running search asks between units of work whether its generation is still the page's and
stops (``Cancelled``) as soon as it is not, so a slider moved during a search is answered at once and the search's
CPU is freed; an answer that finishes for an older generation is dropped (it no longer describes the page).
"""

from __future__ import annotations

import json
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

from sim.explore.controls import page
from sim.explore.results import results_html
from sim.explore.session import Session, WhatIf
from sim.explore.settings import SettingError, Settings, edit_text
from sim.explore.variant import VariantError, save_variant, valid_name, variant_document
from sim.studies.zone_pairs import Cancelled

MAX_CHANGES = 6  # the largest change set "what would it take" searches, as `negsim whatif --max-changes` allows

STATIC = {"explore.js": "text/javascript; charset=utf-8", "explore.css": "text/css; charset=utf-8"}
MAX_BODY = 1 << 20
CALLED_OFF = "called off: the page changed or Cancel was pressed (ask again for the page as it is now)"


def control_value(settings: Settings, name: str) -> str | None:
    """The current value of a party control, as the page shows it (to put a refused field back)."""
    pid, quantity, *rest = name.split("|")
    party = settings.parties.get(pid)
    if party is None:
        return None
    if quantity == "reservation":
        return repr(party.reservation[0 if rest[0] == "low" else 1])
    if quantity == "weight" and rest[0] in party.weights:
        return repr(party.weights[rest[0]][0 if rest[1] == "low" else 1])
    if quantity == "red_line" and rest[0] in party.red_lines:
        holds = party.red_lines[rest[0]]
        return ("on" if holds is not None else "off") if rest[1] == "on" else repr(holds or 0.0)
    if quantity == "veto":
        return "on" if party.veto else "off"
    return None


def all_values(settings: Settings) -> dict[str, str]:
    """Every party control's value (after a reset)."""
    values: dict[str, str] = {}
    for pid, party in settings.parties.items():
        names = [f"{pid}|reservation|low", f"{pid}|reservation|high", f"{pid}|veto"]
        names += [f"{pid}|weight|{issue}|{end}" for issue in party.weights for end in ("low", "high")]
        names += [f"{pid}|red_line|{ref}|{what}" for ref in party.red_lines for what in ("on", "holds")]
        values.update({name: control_value(settings, name) or "" for name in names})
    return values


class Explorer:
    """The page's state behind the server: the session, the newest request number, the last what-if answer, and
    the generation (bumped by anything that makes a running what-if answer moot)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.lock = threading.Lock()
        self.newest = 0
        self.newest_lock = threading.Lock()
        self.whatif: WhatIf | None = None
        self.generation = 0  # read without a lock by the running search; written under newest_lock

    def call_off(self) -> int:
        """Move to a new generation: any running "what would it take" stops at its next check. Returns it."""
        with self.newest_lock:
            self.generation += 1
            return self.generation

    def still_wanted(self, generation: int) -> bool:
        """Whether a search started at ``generation`` still describes the page (asked between units of work)."""
        return self.generation == generation

    def results(self) -> str:
        return results_html(self.session.results(), self.whatif)

    def page(self) -> str:
        engine = self.session.engine
        with self.lock:
            return page(
                engine.loaded,
                engine.current.settings,
                engine.samples,
                engine.seed,
                self.results(),
                str(engine.path.parent / f"{engine.loaded.id}-variant.yaml"),
            )

    def change(self, seq: int, changes: list[list[str]]) -> dict[str, Any]:
        self.call_off()
        with self.newest_lock:
            self.newest = max(self.newest, seq)
        messages, values = [], {}
        with self.lock:
            started = time.process_time()
            for name, text in changes:
                try:
                    self.session.change(str(name), str(text))
                    self.whatif = None
                except SettingError as exc:
                    messages.append(str(exc))
                    value = control_value(self.session.engine.current.settings, str(name))
                    if value is not None:
                        values[name] = value
            if seq < self.newest:
                return {"seq": seq, "stale": True, "message": " ".join(messages), "values": values}
            html = self.results()
            cpu = round(1000 * (time.process_time() - started), 1)  # this process's CPU for the change: what load hides
            return {"seq": seq, "html": html, "message": " ".join(messages), "values": values, "cpu_ms": cpu}

    def what_would_it_take(self, target_text: str, changes_text: str) -> dict[str, Any]:
        try:
            target = float(target_text)
        except ValueError:
            return {"message": f"What would it take: target P(zone) '{target_text}' is not a number"}
        if not 0 < target <= 1:
            return {"message": f"What would it take: target P(zone) {target:g} must be in (0, 1]"}
        if changes_text.strip() not in {str(k) for k in range(MAX_CHANGES + 1)}:
            return {"message": f"What would it take: at most changes '{changes_text}' is not 0 to {MAX_CHANGES}"}
        generation = self.call_off()  # a newer search replaces a running one
        with self.lock:
            try:
                search = self.session.whatif_search(target, int(changes_text))
            except SettingError as exc:
                return {"message": str(exc), "status": ""}
        started = time.perf_counter()
        try:
            whatif = search.run(lambda: not self.still_wanted(generation))
        except Cancelled:
            return {"message": "", "status": CALLED_OFF, "called_off": True}
        with self.lock:
            if not self.still_wanted(generation):  # finished, but the page moved on meanwhile
                return {"message": "", "status": CALLED_OFF, "called_off": True}
            self.whatif = whatif
            status = f"done in {time.perf_counter() - started:.1f} s"
            return {"html": self.results(), "message": "", "status": status}

    def cancel_whatif(self) -> dict[str, Any]:
        """The Cancel button: the running search stops at its next check (its own request answers "called off")."""
        self.call_off()
        return {"status": CALLED_OFF}

    def talks(self, protocol_text: str, seed_text: str) -> dict[str, Any]:
        from sim.explore.talks import play_one, talks_html
        from sim.negotiation.protocol import Protocol

        try:
            protocol, seed = Protocol(protocol_text), int(seed_text)
        except ValueError:
            return {"message": f"Talks: give a protocol ({', '.join(Protocol)}) and a whole-number seed"}
        if seed < 0:
            return {"message": "Talks: the seed must be 0 or more"}
        with self.lock:
            scenario = self.session.engine.current.scenario
        rows, outcome = play_one(scenario, protocol, seed)
        return {"talks": talks_html(scenario, rows, outcome, seed), "message": ""}

    def reset(self) -> dict[str, Any]:
        self.call_off()
        with self.lock:
            self.session.engine.reset()
            self.session.last = "reset to the scenario as loaded"
            self.whatif = None
            return {"html": self.results(), "values": all_values(self.session.engine.current.settings)}

    def save(self, path_text: str, why: str) -> dict[str, Any]:
        engine = self.session.engine
        path = Path(path_text.strip())
        why = " ".join(why.split())
        if not why:
            return {"message": "Save as variant: say why (it is written into the file)"}
        with self.lock:
            state = engine.current
            try:
                name = valid_name(path.stem)
                draft = self.session.draft_ids()
                text = save_variant(
                    path,
                    engine.path,
                    lambda parent: variant_document(
                        engine.loaded,
                        state.scenario,
                        engine.loaded_settings,
                        state.settings,
                        parent,
                        name,
                        why,
                        draft,
                        engine.samples,
                        engine.seed,
                    ),
                    state.settings,
                )
            except VariantError as exc:
                return {"message": f"Save as variant: {exc}"}
            command = f"negsim run {path.as_posix()}"
            edits = " ".join(edit_text(e) for e in engine.edits(state.settings))
            same = f"negsim run {engine.path.as_posix()} --samples {engine.samples} --seed {engine.seed} {edits}"
            if draft:
                fix = ",".join(f"{i}={o}" for i, o in draft.items())
                same += f"\n(the draft alone: negsim score {path.as_posix()} --fix {fix})"
            saved = f"wrote {path}\nreproduce the page: {command}\nor: {same.strip()}\n\n{text}"
            return {"message": "", "saved": saved}


class Handler(BaseHTTPRequestHandler):
    explorer: Explorer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: the terminal shows the URL and errors only."""

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, self.explorer.page().encode(), "text/html; charset=utf-8")
            return
        name = self.path.removeprefix("/static/")
        if name in STATIC:
            body = resources.files("sim.explore").joinpath("static", name).read_bytes()
            self._send(HTTPStatus.OK, body, STATIC[name])
            return
        self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"too large", "text/plain")
            return
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
            answer = self._answer(data)
        except (ValueError, KeyError, TypeError) as exc:
            answer = {"message": f"bad request: {exc}"}
        self._send(HTTPStatus.OK, json.dumps(answer).encode(), "application/json")

    def _answer(self, data: dict[str, Any]) -> dict[str, Any]:
        explorer = self.explorer
        if self.path == "/change":
            return explorer.change(int(data["seq"]), list(data["changes"]))
        if self.path == "/whatif":
            return explorer.what_would_it_take(str(data.get("target", "")), str(data.get("changes", "")))
        if self.path == "/whatif-cancel":
            return explorer.cancel_whatif()
        if self.path == "/talks":
            return explorer.talks(str(data.get("protocol", "")), str(data.get("seed", "")))
        if self.path == "/reset":
            return explorer.reset()
        if self.path == "/save":
            return explorer.save(str(data.get("path", "")), str(data.get("why", "")))
        raise KeyError(self.path)


def make_server(explorer: Explorer, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"explorer": explorer})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
