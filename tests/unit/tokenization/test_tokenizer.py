"""Tokenizer: loading every format, special ids, truncation and padding that the library controls."""

from __future__ import annotations

import json

import numpy as np
import pytest

import fillmask_np as fm

from helpers import GOLDEN, require_shared


def _word_level_tokenizer(tmp_path, vocab: dict[str, int]):
    from tokenizers import Tokenizer, models, pre_tokenizers

    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    path = tmp_path / "tokenizer.json"
    backend.save(str(path))
    return path


@pytest.mark.shared
def test_roberta_bpe_files_reproduce_the_published_roberta_base_ids():
    directory = require_shared("real", "roberta-base-tokenizer")
    tok = fm.Tokenizer.from_dir(directory)
    batch = tok.encode_batch(["The capital of France is <mask>."])
    assert batch.input_ids[0].tolist() == [0, 133, 812, 9, 1470, 16, 50264, 4, 2]
    assert (tok.mask_token_id, tok.pad_token_id, tok.cls_token_id, tok.sep_token_id) == (50264, 1, 0, 2)


@pytest.mark.shared
def test_truncation_and_padding_baked_into_tokenizer_json_do_not_leak():
    directory = require_shared("real", "splade-tiny")
    tok = fm.Tokenizer.from_dir(directory)  # its tokenizer.json truncates to 512 and pads to longest
    long_text = " ".join(["word"] * 600)
    assert tok.encode_batch([long_text]).input_ids.shape == (1, 602)
    short = tok.encode_batch(["a b", "a"], max_length=3)
    assert short.input_ids.shape == (2, 3) and short.truncated.tolist() == [True, False]


@pytest.mark.parametrize("name", ["bert", "distilbert"])
def test_wordpiece_vocab_txt_matches_tokenizer_json(name, eval_texts):
    directory = GOLDEN / "models" / name
    fast = fm.Tokenizer.from_file(directory / "tokenizer.json").encode_batch(eval_texts)
    slow = fm.Tokenizer.from_wordpiece(directory / "vocab.txt").encode_batch(eval_texts)
    np.testing.assert_array_equal(slow.input_ids, fast.input_ids)
    np.testing.assert_array_equal(slow.special_tokens_mask, fast.special_tokens_mask)


def test_bpe_vocab_and_merges_match_tokenizer_json(eval_texts):
    directory = GOLDEN / "models" / "roberta"
    fast = fm.Tokenizer.from_file(directory / "tokenizer.json").encode_batch(eval_texts + ["A <mask> here."])
    slow = fm.Tokenizer.from_bpe(directory / "vocab.json", directory / "merges.txt").encode_batch(
        eval_texts + ["A <mask> here."])
    np.testing.assert_array_equal(slow.input_ids, fast.input_ids)


def test_do_lower_case_false_in_tokenizer_config_keeps_case(tmp_path):
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "cat", "Cat"]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": False}))
    assert fm.Tokenizer.from_dir(tmp_path).encode_batch(["Cat"]).input_ids[0].tolist() == [2, 6, 3]
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True}))
    assert fm.Tokenizer.from_dir(tmp_path).encode_batch(["Cat"]).input_ids[0].tolist() == [2, 5, 3]


def test_padding_modes(bert_tok):
    texts = ["one two three four", "one"]
    longest = bert_tok.encode_batch(texts)
    fixed = bert_tok.encode_batch(texts, max_length=16, padding="max_length")
    multiple = bert_tok.encode_batch(texts, pad_to_multiple_of=8)
    assert fixed.input_ids.shape == (2, 16)
    assert multiple.input_ids.shape[1] % 8 == 0 and multiple.input_ids.shape[1] >= longest.input_ids.shape[1]
    for batch in (longest, fixed, multiple):
        pad = batch.attention_mask == 0
        assert (batch.input_ids[pad] == bert_tok.pad_token_id).all()
        assert (batch.special_tokens_mask[pad] == 1).all()
        assert batch.lengths.tolist() == longest.attention_mask.sum(axis=1).tolist()


def test_a_tokenizer_without_a_mask_token_says_so(tmp_path):
    tok = fm.Tokenizer.from_file(_word_level_tokenizer(tmp_path, {"[UNK]": 0, "a": 1}))
    with pytest.raises(fm.TokenizerError, match="has no mask token"):
        _ = tok.mask_token_id


def test_a_named_special_token_missing_from_the_vocabulary_is_refused(tmp_path):
    path = _word_level_tokenizer(tmp_path, {"[UNK]": 0, "a": 1})
    with pytest.raises(fm.TokenizerError, match="mask token '<mask>'"):
        fm.Tokenizer.from_file(path, mask_token="<mask>")


def test_a_file_that_is_not_a_tokenizer_is_refused(tmp_path):
    path = tmp_path / "tokenizer.json"
    path.write_text("{not json")
    with pytest.raises(fm.InputFileError, match="is not a Hugging Face tokenizer.json"):
        fm.Tokenizer.from_file(path)


def test_a_directory_without_tokenizer_files_is_refused(tmp_path):
    with pytest.raises(fm.InputFileError, match="holds no tokenizer.json"):
        fm.Tokenizer.from_dir(tmp_path)


def test_max_length_without_room_for_text_is_refused(bert_tok):
    with pytest.raises(fm.TokenizerError, match="max_length=2 leaves no room"):
        bert_tok.encode_batch(["a"], max_length=2)


def test_special_tokens_map_json_names_the_mask_token(tmp_path, bert_dir):
    backend = fm.Tokenizer.from_dir(bert_dir).backend
    backend.add_special_tokens(["<hole>"])
    backend.save(str(tmp_path / "tokenizer.json"))
    (tmp_path / "special_tokens_map.json").write_text(json.dumps({"mask_token": {"content": "<hole>"}}))
    tok = fm.Tokenizer.from_dir(tmp_path)
    assert tok.mask_token == "<hole>" and tok.mask_token_id == backend.token_to_id("<hole>")


def test_tokenizer_config_wins_over_special_tokens_map(tmp_path, bert_dir):
    backend = fm.Tokenizer.from_dir(bert_dir).backend
    backend.add_special_tokens(["<hole>"])
    backend.save(str(tmp_path / "tokenizer.json"))
    (tmp_path / "special_tokens_map.json").write_text(json.dumps({"mask_token": "<hole>"}))
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"mask_token": "[MASK]"}))
    assert fm.Tokenizer.from_dir(tmp_path).mask_token == "[MASK]"


def test_an_explicit_mask_token_is_registered_when_building_from_vocab_txt(tmp_path):
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "<hole>", "cat"]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tok = fm.Tokenizer.from_wordpiece(tmp_path / "vocab.txt", mask_token="<hole>")
    assert tok.mask_token_id == 4
    assert tok.encode_batch(["cat <hole>"]).input_ids[0].tolist() == [2, 5, 4, 3]  # not split into pieces


def test_an_unknown_override_is_refused(bert_dir):
    with pytest.raises(fm.TokenizerError, match="unknown special token 'hole'"):
        fm.Tokenizer.from_dir(bert_dir, hole="[MASK]")


def test_concurrent_encodes_with_different_max_lengths_do_not_interfere(bert_tok):
    from concurrent.futures import ThreadPoolExecutor

    text = " ".join(["the cat sat on the mat"] * 10)
    with ThreadPoolExecutor(4) as pool:
        widths = list(pool.map(lambda n: bert_tok.encode_batch([text], max_length=n).input_ids.shape[1],
                               [8, 16, 24, 32] * 25))
    assert widths == [8, 16, 24, 32] * 25


def test_a_bpe_vocabulary_that_is_not_json_is_a_one_line_error(tmp_path):
    (tmp_path / "vocab.json").write_text("{broken")
    (tmp_path / "merges.txt").write_text("#version: 0.2\n")
    with pytest.raises(fm.InputFileError, match="cannot read BPE files"):
        fm.Tokenizer.from_bpe(tmp_path / "vocab.json", tmp_path / "merges.txt")


IN_TEXT = ["the [MASK] sat on \u263a."]  # a typed [MASK] and a character the vocabulary lacks ([UNK])


def test_template_policy_leaves_typed_mask_and_unk_maskable(bert_tok):
    enc = bert_tok.encode_batch(IN_TEXT)
    tokens = bert_tok.convert_ids_to_tokens(enc.input_ids[0])
    assert tokens == ["[CLS]", "the", "[MASK]", "sat", "on", "[UNK]", ".", "[SEP]"]
    assert enc.special_tokens_mask[0].tolist() == [1, 0, 0, 0, 0, 0, 0, 1]


def test_all_special_ids_policy_marks_every_special_id_wherever_it_occurs(bert_tok):
    enc = bert_tok.encode_batch(IN_TEXT + ["a"], special_tokens="all_special_ids")
    assert enc.special_tokens_mask[0].tolist() == [1, 0, 1, 0, 0, 1, 0, 1]
    assert enc.special_tokens_mask[1].tolist() == [1, 0, 1] + [1] * 5  # padding included


def test_an_unknown_special_token_policy_is_refused(bert_tok):
    with pytest.raises(fm.TokenizerError, match="special_tokens='none' is not one of"):
        bert_tok.encode_batch(IN_TEXT, special_tokens="none")


def test_all_special_ids_are_the_named_and_extra_special_tokens(tmp_path):
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<bos>", "<x>", "<y>", "a"])}
    path = _word_level_tokenizer(tmp_path, vocab)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(
        {"bos_token": "<bos>", "additional_special_tokens": ["<x>"], "mask_token": "[MASK]"}))
    tok = fm.Tokenizer.from_file(path)
    # as HF: only named tokens count ([PAD]..[SEP] are plain vocabulary entries here, and no config names <y>)
    assert tok.all_special_ids == [4, 5, 6]


def test_offsets_are_the_character_spans_of_the_tokens(bert_tok, eval_texts):
    texts = [t for t in eval_texts if t.strip()][:30]
    enc = bert_tok.encode_batch(texts)
    for row, text in enumerate(texts):
        for token, (start, end), special in zip(bert_tok.convert_ids_to_tokens(enc.input_ids[row]),
                                                enc.offsets[row], enc.special_tokens_mask[row]):
            if special:
                assert (start, end) == (0, 0)
            elif token != "[UNK]":
                assert text[start:end].lower() == token.removeprefix("##")
