"""The language server ranks what it publishes as the command line does (hotlint.rank): the
mixer program of test_hotness_ranking opened in an editor, with the `minSeverity`, `profile` and
`hotThreshold` settings; a checkout's own `profile` key is not read unless the project is trusted."""

from __future__ import annotations

import re
import shutil

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import run_cli
from test_hotness_ranking import CONFIG, DATA, MIXER, PROGRAM, evidence
from test_lsp import SERVER, client, open_doc, publication, recording_client, start, until  # noqa: F401

SEVERITY = {types.DiagnosticSeverity.Error: "error", types.DiagnosticSeverity.Warning: "warning",
            types.DiagnosticSeverity.Information: "info"}


def _copy(tmp_path):
    for f in PROGRAM.iterdir():
        shutil.copy(f, tmp_path / f.name)
    shutil.copy(DATA / "report.folded", tmp_path / "report.folded")


def allocations(p: types.PublishDiagnosticsParams) -> dict[int, tuple[str, str]]:
    return {d.range.start.line + 1: (SEVERITY[d.severity], evidence(d.message.split("\n")[0]))  # notes follow
            for d in p.diagnostics if d.code == "alloc-in-loop"}


async def _open(client: LanguageClient, tmp_path, name: str) -> str:
    uri = open_doc(client, tmp_path / name, (tmp_path / name).read_text())
    await until(client, publication(client, uri, 1))
    return uri


async def _republished(client: LanguageClient, uri: str, settings: dict) -> types.PublishDiagnosticsParams:
    count = len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"hotlint": settings}))
    return await until(client, lambda: next((p for p in client.published[count:] if p.uri == uri), None))


async def test_published_findings_are_ranked(client: LanguageClient, tmp_path):
    _copy(tmp_path)
    await _open(client, tmp_path, "main.cpp")  # main's loop: the call graph learns who calls mix
    uri = await _open(client, tmp_path, "mixer.cpp")
    got = allocations(publication(client, uri, 1)())
    # the editor shows infos unless told otherwise, each with its evidence
    assert got == {
        MIXER["hot-alloc"]: ("warning", "hot: called from the loop in `main`"),
        MIXER["unlikely-alloc"]: ("info", "cold: in an `[[unlikely]]` branch"),
        MIXER["small-trip-alloc"]: ("info", "cold: a loop of 4 iterations"),
        MIXER["catch-alloc"]: ("info", "cold: in a catch handler"),
        MIXER["printf-alloc"]: ("info", "cold: the loop calls `printf` on every iteration"),
    }

    shown = await _republished(client, uri, {"minSeverity": "warning"})
    assert set(allocations(shown)) == {MIXER["hot-alloc"]}

    # the user's profile: measured hotness wins, and is the only way to an error
    profiled = allocations(await _republished(client, uri, {"minSeverity": "warning", "profile": "report.folded"}))
    assert profiled[MIXER["printf-alloc"]][0] == "error"
    assert re.fullmatch(r"hot: [0-9.]+% of the folded profile", profiled[MIXER["printf-alloc"]][1])
    assert profiled[MIXER["hot-alloc"]][0] == "error"

    # a threshold above every share: the measured findings are warm, so warnings
    warm = allocations(await _republished(client, uri, {"profile": ["report.folded"], "hotThreshold": 99}))
    assert warm[MIXER["printf-alloc"]][0] == "warning"

    bad = await _republished(client, uri, {"minSeverity": "loud", "hotThreshold": "lots"})
    assert len(allocations(bad)) == 5  # ignored, and said
    said = " ".join(m.message for m in client.shown)
    assert "`minSeverity` must be one of info, warning, error" in said and "`hotThreshold` must be a percentage" in said


async def test_a_checkout_s_profile_is_not_read_unless_trusted(client: LanguageClient, tmp_path):
    _copy(tmp_path)
    (tmp_path / ".hotlint.toml").write_text('profile = ["report.folded"]\n')
    uri = await _open(client, tmp_path, "config.cpp")
    got = allocations(publication(client, uri, 1)())
    assert got[CONFIG["config-alloc"]] == ("info", "cold: `load_config` is set-up or teardown code by its name")
    said = " ".join(m.message for m in client.shown)
    assert "`profile` is not read in the editor: the project is not trusted" in said


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=recording_client))
async def cached_client(lsp_client: LanguageClient, tmp_path):
    """A server started in a workspace the command line has linted (its result cache filled)."""
    _copy(tmp_path)
    proc = run_cli(".", cwd=tmp_path, env={"HOTLINT_CACHE_DIR": str(tmp_path / ".hotlint_cache")})
    assert proc.returncode == 1, proc.stderr
    await start(lsp_client, tmp_path)
    yield
    await lsp_client.shutdown_session()


async def test_the_call_graph_comes_from_the_result_cache(cached_client: LanguageClient, tmp_path):
    # main.cpp is never opened: who calls mix in a loop is read from the command line's cache
    uri = await _open(cached_client, tmp_path, "mixer.cpp")
    got = allocations(publication(cached_client, uri, 1)())
    assert got[MIXER["hot-alloc"]] == ("warning", "hot: called from the loop in `main`")
    assert got[MIXER["catch-alloc"]] == ("info", "cold: in a catch handler")
