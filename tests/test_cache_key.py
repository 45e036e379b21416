"""The cache key is created whole or not at all, even by processes starting at the same moment
(a build runs one hotlint per unit, ``make -j``)."""

from __future__ import annotations

import multiprocessing
import os

from hotlint.cache import load_key


def _load(xdg: str, start, out) -> None:
    os.environ["XDG_CACHE_HOME"] = xdg
    start.wait()
    try:
        out.put(load_key().hex())
    except OSError as exc:  # the race this guards against: a half-written key read as "no usable key"
        out.put(f"error: {exc}")


def test_processes_racing_to_create_the_key_all_get_the_same_whole_key(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    for attempt in range(3):
        xdg = str(tmp_path / f"xdg{attempt}")
        start, out = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_load, args=(xdg, start, out)) for _ in range(6)]
        for p in procs:
            p.start()
        start.set()
        keys = [out.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=60)
        assert len(set(keys)) == 1 and not keys[0].startswith("error"), keys
        assert sorted(os.listdir(os.path.join(xdg, "hotlint"))) == ["cache-key"]
        assert len(bytes.fromhex(keys[0])) == 32
