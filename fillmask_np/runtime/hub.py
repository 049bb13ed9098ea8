"""Models by Hugging Face Hub id: ``ORG/NAME[@REVISION]`` resolved to a local snapshot through ``huggingface_hub``.

``huggingface_hub`` (imported on first use; installed with ``tokenizers``) does the work and honours its
environment: ``HF_HOME`` / ``HF_HUB_CACHE`` (the cache), ``HF_HUB_OFFLINE`` (the cache only), ``HF_TOKEN`` (gated
and private repos), ``HF_ENDPOINT`` (a mirror). Only what a run needs is fetched: config.json, the tokenizer
files, and either the ONNX export the repo ships (``onnx/model.onnx`` or ``model.onnx``, with its external data)
or the safetensors checkpoint. A local path that exists always wins over an id; a local folder laid out as such a
repo (a clone of it) is read as the Hub's snapshot would be.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import FillMaskError, InputFileError, ModelError, first_line

__all__ = ["ModelSource", "hub_reference", "resolve_model"]

_REPO_ID = re.compile(r"^(?P<repo>[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95})(?:@(?P<rev>[\w./-]+))?$")
_META = ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
         "vocab.json", "merges.txt", "spiece.model", "sentencepiece.bpe.model"]
_ONNX = ("onnx/model.onnx", "model.onnx")
_FILES = (".onnx", ".json", ".safetensors", ".txt", ".bin", ".npz")  # a path to a file, never a repo
_SAFETENSORS = ["model.safetensors", "model.safetensors.index.json", "model-*-of-*.safetensors"]
_TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json")


class ModelSource(NamedTuple):
    """Where a model reference leads.

    Fields:
        path: what the backend opens (a directory, or an ``.onnx`` file).
        tokenizer_dir: the folder holding its tokenizer files.
        hub: for a Hub id, ``{"repo_id", "revision", "commit"}`` (its provenance); None for a local path.
    """

    path: Path
    tokenizer_dir: Path
    hub: dict[str, str] | None = None


def hub_reference(reference: str | Path) -> tuple[str, str | None] | None:
    """``(repo_id, revision)`` when ``reference`` is no existing path and reads as ``ORG/NAME[@REVISION]``;
    None otherwise.

    >>> hub_reference("google-bert/bert-base-uncased@main")
    ('google-bert/bert-base-uncased', 'main')
    """
    text = str(reference)
    match = _REPO_ID.match(text)
    if match is None or Path(text).exists() or ".." in text or "--" in match["repo"] or text.endswith(_FILES):
        return None
    return match["repo"], match["rev"]


def resolve_model(reference: str | Path, *, backend: str = "auto") -> ModelSource:
    """The local files of a model reference: a path as given, or a Hub id's snapshot in the Hugging Face cache
    (downloaded when missing and the Hub is reachable).

    Args:
        reference: a path (``.onnx`` file, export or checkpoint directory) or ``ORG/NAME[@REVISION]``.
        backend: ``"auto"`` (the repo's ONNX export when it ships one, else its safetensors checkpoint),
            ``"onnx"`` or ``"numpy"``: which weights to fetch.
    Returns:
        the ``ModelSource``.
    Raises:
        InputFileError: the repo or revision does not exist, is gated or private without a token, or is not
            cached while offline. ModelError: the repo holds no weights this library reads.
    """
    parsed = hub_reference(reference)
    if parsed is None:
        return local_source(Path(reference), backend=backend)
    repo_id, revision = parsed
    try:
        return _fetch(repo_id, revision, backend)
    except FillMaskError:
        raise
    except Exception as exc:  # huggingface_hub's errors, said in one line with the fix
        raise _explain(exc, str(reference), repo_id, revision) from None


def local_source(path: Path, *, backend: str = "auto") -> ModelSource:
    """The ``ModelSource`` of a local path, reading a clone of a Hub repo as its snapshot is read.

    A folder with no ``model.onnx`` of its own but an ``onnx/model.onnx`` (the Hub's layout for a shipped export)
    runs that file unless ``backend`` is ``"numpy"``; a model file in a repo's ``onnx/`` folder with no tokenizer
    beside it takes the repo's, one folder up (as its config.json, ``contract.config_path``). Anything else is
    ``path`` as given, its tokenizer beside it.

    Args:
        path: the local path given.
        backend: ``"auto"``, ``"onnx"`` or ``"numpy"``.
    Returns:
        the ``ModelSource`` (``hub`` None).
    """
    if path.is_dir():
        nested = path / _ONNX[0]
        if backend != "numpy" and not (path / _ONNX[1]).exists() and nested.is_file():
            return ModelSource(nested, path)
        return ModelSource(path, path)
    folder = path.parent
    if folder.name == "onnx" and not _has_tokenizer(folder) and _has_tokenizer(folder.parent):
        return ModelSource(path, folder.parent)
    return ModelSource(path, folder)


def _has_tokenizer(folder: Path) -> bool:
    return any((folder / name).is_file() for name in _TOKENIZER_FILES)


def _fetch(repo_id: str, revision: str | None, backend: str) -> ModelSource:
    """Download (or find in the cache) config, tokenizer and the weights ``backend`` runs."""
    from huggingface_hub import snapshot_download

    folder = Path(snapshot_download(repo_id, revision=revision, allow_patterns=_META))
    commit = folder.name
    names = _repo_files(repo_id, commit, folder)
    hub = {"repo_id": repo_id, "revision": revision or "main", "commit": commit}
    onnx = next((name for name in _ONNX if name in names), None) if backend in ("auto", "onnx") else None
    if onnx is not None:
        snapshot_download(repo_id, revision=commit, allow_patterns=_META + [onnx, f"{onnx}_data", f"{onnx}.data"])
        return ModelSource(folder / onnx, folder, hub)
    if backend != "onnx" and any(n.endswith(".safetensors") or n == _SAFETENSORS[1] for n in names):
        snapshot_download(repo_id, revision=commit, allow_patterns=_META + _SAFETENSORS)
        return ModelSource(folder, folder, hub)
    if backend == "onnx":
        raise ModelError(f"Hub repo {repo_id!r} ships no ONNX export ({' or '.join(_ONNX)}); drop --backend onnx "
                         f"(backend='onnx') to run its safetensors checkpoint with the NumPy backend")
    if any(n.startswith("pytorch_model") and n.endswith(".bin") for n in names):
        raise ModelError(
            f"Hub repo {repo_id!r} ships only pytorch_model.bin (a pickle, which fillmask_np never loads); convert "
            f"it once with torch: python -c \"from transformers import AutoModelForMaskedLM as M; "
            f"M.from_pretrained('{repo_id}').save_pretrained('converted')\" and pass --model converted, or export "
            f"ONNX: optimum-cli export onnx --model {repo_id} --task fill-mask exported/")
    raise ModelError(f"Hub repo {repo_id!r} holds no model.safetensors and no model.onnx ({len(names)} files); "
                     f"pass a fill-mask model repo or a local export / checkpoint directory")


def _repo_files(repo_id: str, commit: str, folder: Path) -> set[str]:
    """Every file of the repo at ``commit``: the listing huggingface_hub cached when it first fetched it, else
    (an older huggingface_hub) the Hub's listing, else (offline) what the cache holds."""
    import huggingface_hub

    try:
        return {f.path for f in huggingface_hub.get_cached_repo_tree(repo_id, revision=commit)}
    except Exception:  # no cached listing (or no such function): ask the Hub
        pass
    try:
        return set(huggingface_hub.list_repo_files(repo_id, revision=commit))
    except Exception:  # offline
        return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _explain(exc: Exception, reference: str, repo_id: str, revision: str | None) -> FillMaskError:
    """A one-line ``InputFileError`` for a ``huggingface_hub`` failure."""
    from huggingface_hub import constants, errors

    login = "log in with `hf auth login` or set HF_TOKEN=hf_..."
    if isinstance(exc, errors.GatedRepoError):
        return InputFileError(f"model {reference!r}: Hub repo {repo_id!r} is gated; accept its conditions on its "
                              f"page ({constants.ENDPOINT}/{repo_id}) and {login}")
    if isinstance(exc, errors.RevisionNotFoundError):
        return InputFileError(f"model {reference!r}: Hub repo {repo_id!r} has no revision {revision!r}; pass a "
                              f"branch, tag or commit that exists ({repo_id}@main)")
    if isinstance(exc, errors.RepositoryNotFoundError):
        return InputFileError(f"model {reference!r} is no local path and no model repo on the Hub "
                              f"({constants.ENDPOINT}); check the spelling, or, for a private repo, {login}")
    if isinstance(exc, errors.HfHubHTTPError) and _status(exc) in (401, 403):
        return InputFileError(f"model {reference!r}: the Hub refused access to {repo_id!r} "
                              f"({_status(exc)}); {login}")
    if isinstance(exc, errors.LocalEntryNotFoundError):
        return InputFileError(f"model {reference!r} is no local path, and Hub repo {repo_id!r} is not in the Hugging "
                              f"Face cache ({constants.HF_HUB_CACHE}) while the Hub cannot be reached (HF_HUB_OFFLINE "
                              f"set, or no network); fetch it once online (run this again without HF_HUB_OFFLINE=1, "
                              f"or `hf download {repo_id}`), or pass a local folder")
    return InputFileError(f"model {reference!r}: fetching {repo_id!r} from the Hub failed: "
                          f"{type(exc).__name__}: {first_line(exc)}")


def _status(exc: Any) -> int | None:
    """The HTTP status of a ``huggingface_hub`` HTTP error, when it carries a response."""
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)
