"""tools/gen_samples.py: the committed samples are exactly what the generator writes from data/samples/src."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATED = [
    "pretrain_zh_en.jsonl",
    "pretrain_title_content.jsonl",
    "sft_messages.jsonl",
    "sft_alpaca.json",
    "sft_sharegpt.jsonl",
]


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("gen_samples", ROOT / "tools" / "gen_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # puts tools/ on sys.path for its samplegen package
    return module


@pytest.fixture(scope="module")
def load_sources(gen):
    from samplegen.common import load_sources

    return load_sources


def test_regenerated_samples_are_byte_identical(gen, tmp_path):
    stats = gen.generate(str(tmp_path))
    assert sorted(stats) == sorted(GENERATED)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (ROOT / "data" / "samples" / name).read_bytes(), (
            f"{name} differs from the committed sample: run `python tools/gen_samples.py` and commit the result"
        )


def test_a_pool_defined_twice_is_refused(load_sources, tmp_path):
    (tmp_path / "a.yaml").write_text("en_names: [Ann]\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("zh_names: [小明]\nen_names: [Bob]\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^b\.yaml: pool 'en_names' is already defined in a\.yaml$"):
        load_sources(str(tmp_path))


def test_a_file_that_is_not_a_mapping_is_refused(load_sources, tmp_path):
    (tmp_path / "a.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^a\.yaml: expected a mapping of pool name to pool, got list$"):
        load_sources(str(tmp_path))


def test_a_file_that_does_not_parse_is_refused_with_its_line(load_sources, tmp_path):
    (tmp_path / "a.yaml").write_text("en_names: [Ann]\nzh_names: [小明\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_sources(str(tmp_path))
    assert str(err.value) == (
        "a.yaml: line 3, column 1: YAML syntax error: expected ',' or ']', but got '<stream end>'"
    )


def test_a_template_placeholder_with_no_slot_names_the_template(gen):
    from samplegen.common import fill

    assert fill("{name} is {age:,} days old", {"name": "Ann", "age": 12345}) == "Ann is 12,345 days old"
    with pytest.raises(ValueError) as err:
        fill("{nmae} buys {a} pens", {"name": "Ann", "a": 2})
    assert str(err.value) == "template '{nmae} buys {a} pens': no slot 'nmae' (it has: a, name)"
