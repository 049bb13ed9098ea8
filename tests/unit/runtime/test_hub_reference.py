"""Which ``--model`` values are Hub ids: ``ORG/NAME[@REVISION]`` that is no existing path (``runtime.hub``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fillmask_np.runtime import resolve_model
from fillmask_np.runtime.hub import hub_reference


@pytest.mark.parametrize("text, expected", [
    ("google-bert/bert-base-uncased", ("google-bert/bert-base-uncased", None)),
    ("facebook/esm2_t6_8M_UR50D@main", ("facebook/esm2_t6_8M_UR50D", "main")),
    ("org/name@refs/pr/3", ("org/name", "refs/pr/3")),
    ("org/name@0123456789abcdef0123456789abcdef01234567", ("org/name", "0123456789abcdef0123456789abcdef01234567")),
])
def test_org_slash_name_with_an_optional_revision_is_a_hub_id(text, expected):
    assert hub_reference(text) == expected


@pytest.mark.parametrize("text", ["/abs/org/name", "./org/name", "../org/name", "name", "org/name/sub",
                                  "export/model.onnx", "dir/config.json", "dir/model.safetensors", "org--x/name",
                                  "org/", "org/name@"])
def test_paths_and_other_shapes_are_not_hub_ids(text):
    assert hub_reference(text) is None


def test_an_existing_folder_named_like_an_id_is_a_path(tmp_path: Path, monkeypatch):
    (tmp_path / "org" / "name").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert hub_reference("org/name") is None
    assert resolve_model("org/name") == (Path("org/name"), Path("org/name"), None)


def test_a_local_onnx_file_resolves_to_itself_with_its_folder_for_the_tokenizer(tmp_path: Path):
    assert resolve_model(tmp_path / "model.onnx") == (tmp_path / "model.onnx", tmp_path, None)
