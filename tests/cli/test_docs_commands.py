"""Every ``fillmask-np`` command the README and the docs pages show runs as printed, in a folder holding the
names they use (``export_dir/``, ``fast_dir/``, ``text.txt``, ...: the golden models and texts under those
names). A command needing what no test may use here is listed in NOT_RUN_HERE with the test that runs it."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from helpers import EVAL_TXT, GOLDEN, REPO
from helpers.cli_runs import cli

PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
# a fragment of the command -> where it runs instead (or why it cannot run here)
NOT_RUN_HERE = {
    "google-bert/": "a Hub id: tests/cli/test_cli_hub.py runs these lines against a local Hub server",
    "--ray": "a Ray cluster: tests/cli/test_cli_ray.py and tests/distributed/",
    "reference.npz": "torch's logits: tests/golden/test_torch_replay.py",
    "../shared/": "the real model of ../shared: tests/cli/test_cli_pairs.py (marker shared)",
    "golden_data/text/minimal_pairs.jsonl": "its printed table: tests/cli/test_cli_pairs.py",
    "--mutations": "its printed table: tests/cli/test_cli_variants.py",
    "part-*.npz": "merging every shard: tests/cli/test_cli_matrix.py and tests/unit/tasks/",
    " ... ": "an elided command line",
}


def _commands() -> list[tuple[str, str]]:
    """(page, command) for each fillmask-np line of a bash block; ``[--x]`` options are taken as given."""
    found = []
    for page in PAGES:
        for block in page.read_text(encoding="utf-8").split("```bash\n")[1:]:
            for line in block.split("```", 1)[0].splitlines():
                for command in line.split("  #", 1)[0].split(";"):
                    command = re.sub(r"\[(--[^\]]*)\]", r"\1", command).strip()
                    if command.startswith(("fillmask-np ", "python -m fillmask_np ")):
                        found.append((page.relative_to(REPO).as_posix(), command))
    return found


def _elsewhere(command: str) -> str | None:
    """Where a command that cannot run here is run, or None."""
    return next((why for fragment, why in NOT_RUN_HERE.items() if fragment in f" {command} "), None)


COMMANDS = _commands()
RUN_HERE = [(page, command) for page, command in COMMANDS if _elsewhere(command) is None]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, model_kinds: dict[str, Path]) -> Path:
    """A scratch folder holding every name the docs' commands use."""
    root = tmp_path_factory.mktemp("docs_commands")
    bert, esm = GOLDEN / "models" / "bert", GOLDEN / "models" / "esm"
    for name in ("model.onnx", "tokenizer.json", "config.json", "tokenizer_config.json"):
        shutil.copy(bert / name, root / name)
    for name in ("export_dir", "onnx-export", "m", "candidate", "baseline"):
        shutil.copytree(bert, root / name)
    shutil.copytree(esm, root / "esm_dir")
    shutil.copytree(esm, root / "esm2")
    shutil.copytree(model_kinds["checkpoint_dir"], root / "my-checkpoint")
    shutil.copytree(model_kinds["optimized_dir"], root / "fast_dir")
    shutil.copytree(model_kinds["int8_dir"], root / "int8_dir")
    for name in ("text.txt", "corpus.txt", "my_text.txt"):
        shutil.copy(EVAL_TXT, root / name)
    lines = EVAL_TXT.read_text(encoding="utf-8").splitlines()[:8]
    (root / "corpus.jsonl").write_text("".join(f'{{"body": "{line}"}}\n' for line in lines), encoding="utf-8")
    (root / "prompts.txt").write_text("The [MASK] sat on the [MASK].\nA [MASK] ran to the [MASK].\n", encoding="utf-8")
    (root / "long.txt").write_text(" ".join(lines * 8) + "\n", encoding="utf-8")
    (root / "long_proteins.txt").write_text("MKTAYIAKQRQISFVKSHFSRQ" * 12 + "\n", encoding="utf-8")
    assert cli("eval", "--model", root / "model.onnx", "--data", root / "text.txt", "--seed", "0",
               "--save-masks", root / "masks.npz").status == 0
    return root


def test_the_pages_show_commands_and_most_run_here() -> None:
    assert len(COMMANDS) >= 50 and len(RUN_HERE) >= 40
    pages = {page for page, _ in RUN_HERE}
    assert {"README.md", "docs/verbs/eval.md", "docs/backends.md", "docs/verbs/optimize.md"} <= pages


def test_each_fragment_not_run_here_matches_a_command() -> None:
    assert [f for f in NOT_RUN_HERE if not any(f in f" {command} " for _, command in COMMANDS)] == []


@pytest.mark.cli
@pytest.mark.parametrize(("page", "command"), RUN_HERE, ids=[f"{p}:{i}" for i, (p, _) in enumerate(RUN_HERE)])
def test_each_docs_command_runs_as_printed(folder: Path, monkeypatch: pytest.MonkeyPatch, page: str, command: str) -> None:
    words = shlex.split(command)
    words = words[3:] if words[0] == "python" else words[1:]
    monkeypatch.chdir(REPO if "golden_data/" in command else folder)  # the bundled files, as from the checkout
    if "--help" in words:
        with pytest.raises(SystemExit) as done:
            cli(*words)
        assert done.value.code == 0
        return
    run = cli(*words)
    allowed = (0, 1) if words[0] == "compare" else (0,)  # compare exits 1 on a regression, by design
    assert run.status in allowed and "error:" not in run.err, (page, command, run.status, run.err)
    assert run.out.strip() or "-o" in words
