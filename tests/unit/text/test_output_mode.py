"""An output written through a temporary file gets the mode a plain ``open(path, "w")`` would (0o666 less the
umask), and finding the umask never changes it, so a file another thread creates meanwhile keeps its mode."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

from fillmask_np.text.outputs import AtomicFile


def test_an_output_has_the_mode_open_would_give_it_under_the_processs_umask(tmp_path):
    script = ("import os, stat, sys; os.umask(0o027); from fillmask_np.text.outputs import AtomicFile\n"
              "with AtomicFile(sys.argv[1], what='test output') as out: out.write(b'x')\n"
              "print(oct(stat.S_IMODE(os.stat(sys.argv[1]).st_mode)))")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out.bin")], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == oct(0o666 & ~0o027)


def test_writing_outputs_never_sets_the_umask_under_other_threads(tmp_path, monkeypatch):
    seen: list[int] = []
    real = os.umask

    def watched(mask: int) -> int:  # any call to os.umask, from any thread, is recorded
        seen.append(mask)
        return real(mask)

    monkeypatch.setattr(os, "umask", watched)

    def write(k: int) -> None:
        with AtomicFile(tmp_path / f"out{k}.bin", what="test output") as out:
            out.write(b"x")

    threads = [threading.Thread(target=write, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == []  # read from /proc/self/status: never set to 0 and back
    umask = int(Path("/proc/self/status").read_text().split("Umask:")[1].split()[0], 8)
    expected = 0o666 & ~umask
    assert {stat.S_IMODE((tmp_path / f"out{k}.bin").stat().st_mode) for k in range(8)} == {expected}
