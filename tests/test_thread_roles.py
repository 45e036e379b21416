"""false-sharing and the project's thread roles (analysis.threads.ThreadRoles, joined by
hotlint.callgraph, asked by hotlint.rank): members of one record that share a line are falsely
shared only when different threads write them. Small multi-file programs, linted through the CLI:

- memtable/: a leveldb-style memtable whose arena usage counter and skiplist height share a line;
  one writer thread (started once in db.cpp) makes every write, so the finding is an info saying
  so (hidden by default). Started in a loop, from main itself, submitted to a configured
  thread pool, or with no thread start in sight (a library), the finding stands as before.
- ring/: a single-producer single-consumer ring, the producer thread (a function) moving `tail`
  and the consumer thread (a lambda) `head`: still a warning, with a note naming which thread
  writes which member.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import markers, run_json

DATA = Path(__file__).resolve().parent / "data" / "threads"
MEMTABLE = markers(DATA / "memtable" / "memtable.h")["memtable"]
WRITER_START = markers(DATA / "memtable" / "db.cpp")["writer-start"]
RING = markers(DATA / "ring" / "ring.h")["head"] + 1
RING_MAIN = markers(DATA / "ring" / "main.cpp")


def copy(tmp_path: Path, name: str) -> Path:
    for f in (DATA / name).iterdir():
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def sharing(tmp_path: Path, *files: str, default: bool = False) -> list[dict]:
    args = ["--no-cache", "--select", "false-sharing", *files]
    proc, data = run_json(*(args if default else ["--min-severity", "info", *args]), cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert not data["errors"], data["errors"]
    return data["diagnostics"]


def memtable_finding(diags: list[dict]) -> dict:
    found = [d for d in diags if d["path"].endswith("memtable.h") and d["line"] == MEMTABLE]
    assert len(found) == 1, diags
    return found[0]


def test_one_writer_thread_makes_the_memtable_finding_an_info(tmp_path):
    copy(tmp_path, "memtable")
    d = memtable_finding(sharing(tmp_path, "."))
    assert d["severity"] == "info"
    assert "`arena_.usage_`" in d["message"] and "`table_.height_`" in d["message"]
    # a member declaration is in no function: no hotness evidence follows
    assert d["message"].endswith(f"(one writer: the thread running `WriterLoop` (started once at db.cpp:{WRITER_START}))")
    assert any("comes from the one thread running `WriterLoop`" in n for n in d["notes"])
    assert "subjects" not in d  # the field keys are for the ranking, not the output
    assert sharing(tmp_path, ".", default=True) == []  # hidden by default


def test_without_a_thread_start_the_finding_stands(tmp_path):
    copy(tmp_path, "memtable")
    d = memtable_finding(sharing(tmp_path, "memtable.cpp", "memtable.h"))
    assert d["severity"] == "warning"
    assert "one writer" not in d["message"]
    assert not any("thread running" in n for n in d["notes"])


@pytest.mark.parametrize("change", ["loop", "main-writes", "pool"])
def test_several_writer_threads_or_an_unknown_one_keep_the_warning(tmp_path, change):
    copy(tmp_path, "memtable")
    db = tmp_path / "db.cpp"
    text = db.read_text()
    if change == "loop":  # the same entry started twice: two writers
        text = text.replace("  std::thread writer(WriterLoop, &mem, 100000);  // @writer-start\n",
                            "  std::vector<std::thread> writers;\n"
                            "  for (int w = 0; w < 2; ++w) writers.emplace_back(WriterLoop, &mem, 100000);\n")
        text = text.replace("  writer.join();\n", "  for (auto& w : writers) w.join();\n")
    elif change == "main-writes":  # main adds too, while the writer thread runs: a thread not started by the code
        text = text.replace("  writer.join();\n", "  for (int i = 0; i < 1000; ++i) mem.Add(-i);\n  writer.join();\n")
        text = text.replace("static void WriterLoop", "void Other(MemTable* mem) { mem->Add(1); }\n\nstatic void WriterLoop")
        text = text.replace("  for (int i = 0; i < 1000; ++i) mem.Add(-i);\n", "  for (int i = 0; i < 1000; ++i) Other(&mem);\n")
    else:  # the writer handed to a pool the configuration names
        text = text.replace("  std::thread writer(WriterLoop, &mem, 100000);  // @writer-start\n",
                            "  Pool pool;\n  pool.Submit(&WriterLoop, &mem, 100000);\n")
        text = text.replace("  writer.join();\n", "")
        text = text.replace('#include "memtable.h"\n', '#include "memtable.h"\n\n'
                            "struct Pool {\n  void Submit(void (*fn)(MemTable*, int), MemTable* m, int n) { fn(m, n); }\n};\n")
        (tmp_path / "pyproject.toml").write_text('[tool.hotlint]\nthread-pool = ["Pool::Submit"]\n')
    db.write_text(text)
    d = memtable_finding(sharing(tmp_path, "."))
    assert d["severity"] == "warning", d
    assert "one writer" not in d["message"]
    if change != "main-writes":
        note = next(n for n in d["notes"] if "written by" in n)
        assert "`arena_` is written by the thread running `WriterLoop` (started several times at db.cpp:" in note
        assert "`table_` is written by the thread running `WriterLoop` (started several times" in note
    else:
        assert not any("written by the thread" in n for n in d["notes"])


def test_producer_and_consumer_threads_are_still_reported(tmp_path):
    copy(tmp_path, "ring")
    found = [d for d in sharing(tmp_path, ".") if d["path"].endswith("ring.h")]
    assert len(found) == 1 and found[0]["line"] == RING, found
    d = found[0]
    assert d["severity"] == "warning"
    assert re.search(r"`head`.*`tail`.*share cache line 0", d["message"])
    note = next(n for n in d["notes"] if "written by" in n)
    assert note == (f"`head` is written by the thread running the lambda started once at main.cpp:{RING_MAIN['consumer']}; "
                    f"`tail` is written by the thread running `Produce` (started once at main.cpp:{RING_MAIN['producer']})")
