"""Checkable citations: every quote a scenario gives is found, verbatim, in the local file of the source it cites.

A reader who doubts that a source says what a number is cited for should not have to trust the scenario's author
(issue 10 part 1: a domain review found citations that did not say what they were cited for). So ``negsim validate``
looks each ``{S1: "quoted words"}`` up in ``S1``'s ``file:``.

Matching is verbatim up to typography: runs of whitespace (including line breaks and no-break spaces) count as
one space, curly quotes count as straight ones (‘ ’ ‚ ‛ ′ as ', “ ” „ ‟ ″ as "), dashes and minus signs
(‐ ‑ ‒ – — ― −) as '-', and … as '...'. Letters and case are compared as written. This is how web pages and their
plain-text copies differ when the words are the same.

A source's ``file:`` is resolved relative to the YAML file that wrote it (for a source defined in an ``extends:``
parent, the parent's directory; for one set with ``--set``, the current directory), must be a regular file, and
is read as UTF-8. Only citations that give a quote are checked; a citation of a file source without a quote is a
warning, since it cannot be checked.
"""

from __future__ import annotations

import re
from pathlib import Path

from sim.scenario.checks import Finding, citations
from sim.scenario.limits import MAX_SOURCE_BYTES
from sim.scenario.model import Scenario
from sim.scenario.untrusted import UnreadableFile, containment_hint, outside_roots, read_bytes
from sim.scenario.yamlsource import Located

_TYPOGRAPHY = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′", "'"),
        **dict.fromkeys("“”„‟″", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
        "…": "...",
    }
)
_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Text as compared: typography folded, whitespace runs as one space, ends trimmed."""
    return _WHITESPACE.sub(" ", text.translate(_TYPOGRAPHY)).strip()


def source_path(scenario: Scenario, located: Located, source_id: str) -> Path | None:
    """Where a source's ``file:`` points, relative to the file that wrote it; None for a source without a file."""
    source = scenario.sources[source_id]
    if source.file is None:
        return None
    mark = located.marks.get(("sources", source_id, "file"))
    base = Path(mark.origin).parent if mark is not None and mark.line > 0 else Path.cwd()
    return base / source.file


def _file_roots(located: Located, source_id: str) -> tuple[Path, ...] | None:
    """The folders a source's file must lie in: the scenario's (a file written in a scenario); none for a file the
    user named on the command line (``--set sources.S1.file=...``), which is theirs to name."""
    mark = located.marks.get(("sources", source_id, "file"))
    return located.roots if mark is not None and mark.line > 0 and located.roots else None


def citation_findings(scenario: Scenario, located: Located) -> tuple[list[Finding], list[Finding]]:
    """``(errors, warnings)``: quotes not found or uncheckable are errors; unquoted file citations are warnings.

    A file outside the scenario's folder is never read, and the outcome is the same whether or not it exists or holds
    the quote (a warning; a quote cited from it cannot be checked, an error): otherwise a quote checked in
    ``../../../etc/passwd`` would tell a mailed scenario's author what a file says (issue 24).
    """
    errors: list[Finding] = []
    warnings: list[Finding] = []
    texts: dict[str, str | None] = {}
    for key in scenario.sources:
        path = source_path(scenario, located, key)
        if path is None:
            continue
        texts[key] = None
        roots = _file_roots(located, key)
        where = ("sources", key, "file")
        if roots is not None and outside_roots(path, roots):
            message = f"source '{key}' file {path} is outside the scenario's folder, so it is not read"
            warnings.append((where, f"{message}: {containment_hint(roots)}"))
        elif not path.exists() and not path.is_symlink():
            warnings.append((where, f"source '{key}' file {path} does not exist"))
        else:
            try:
                texts[key] = normalise(read_bytes(path, MAX_SOURCE_BYTES, roots).decode("utf-8", errors="replace"))
            except UnreadableFile as exc:
                errors.append((where, f"source '{key}' file {path}: {exc.reason}"))
    for where, citation in citations(scenario):
        if citation.source not in scenario.sources or scenario.sources[citation.source].file is None:
            continue
        if citation.quote is None:
            warnings.append((where, f"citation of '{citation.source}' gives no quote to check in its file"))
            continue
        text = texts[citation.source]
        if text is None:
            errors.append((where, f"cannot check the quote: source '{citation.source}' has no readable file"))
        elif normalise(citation.quote) not in text:
            errors.append(
                (
                    where,
                    f"quote not found in source '{citation.source}' "
                    f'({source_path(scenario, located, citation.source)}): "{citation.quote}"',
                )
            )
    return errors, warnings
