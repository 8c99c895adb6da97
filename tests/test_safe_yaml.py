"""The bounded YAML loader (issue 15, item 2): YAML bombs and deep nesting are refused in one line, fast.

Every YAML file a user hands the studio goes through ``backend.safe_yaml``: job specs (``studio train``,
``studio preflight``), the dataset registry and sample policies.
"""

from __future__ import annotations

import time

import pytest
import yaml

from backend import safe_yaml
from backend.data.formats import DataError
from backend.data.registry import load_registry
from backend.safe_yaml import YAMLLimitError, load_yaml
from backend.spec import SpecError, load_policy, load_spec, spec_from_yaml
from tests.conftest import run_cli


def laughs(levels: int = 9) -> str:
    """A billion-laughs block: level n is 9 aliases of level n-1, so 9**levels strings once expanded."""
    rows = ['  - &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels):
        rows.append(f"  - &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]")
    return "\n".join(rows) + "\n"


BOMB_SPEC = "stage: sft\nmodel:\n  name_or_path: builtin:tiny-llama\ntrain:\n  report_to:\n" + laughs()
DEEP = "[" * 100_000 + "]" * 100_000


def test_billion_laughs_is_refused_fast_with_its_line():
    assert len(BOMB_SPEC) < 700
    start = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        spec_from_yaml(BOMB_SPEC, source="bomb.yaml")
    assert time.perf_counter() - start < 0.5
    message = str(caught.value)
    assert "\n" not in message
    # Level 5 (line 11) is the first to pass 100,000 nodes: 9**6 = 531,441 strings.
    assert message == (
        "invalid job spec bomb.yaml: line 11, column 5: expands to more than 100,000 nodes once its aliases are "
        "copied out; refused as a possible YAML bomb"
    )


def test_alias_count_depth_and_recursion_bounds():
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * (safe_yaml.MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(YAMLLimitError, match=r"more than 100 aliases"):
        load_yaml(many)
    with pytest.raises(YAMLLimitError, match=r"nesting deeper than 64 levels") as caught:
        load_yaml("- " * 70 + "x\n")
    assert caught.value.problem_mark.line == 0
    with pytest.raises(YAMLLimitError, match=r"alias \*x refers to a node that contains it"):
        load_yaml("a: &x [1, *x]\n")
    with pytest.raises(YAMLLimitError, match=r"the text is 1,048,577 characters; the limit is 1,048,576"):
        load_yaml("#" * (safe_yaml.MAX_BYTES + 1))


def test_ordinary_yaml_still_loads():
    # Anchors and merge keys within the bounds are fine, and the result equals yaml.safe_load's.
    text = (
        "base: &b {lr: 1.0e-4, steps: 10}\nrun:\n  <<: *b\n  steps: 20\nlist: [*b, *b]\n" + "x: " + "[" * 60 + "]" * 60
    )
    assert load_yaml(text) == yaml.safe_load(text)
    assert load_yaml("") is None


def test_deep_nesting_spec_is_one_line_not_recursion_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("train:\n  report_to: " + DEEP + "\n", encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert time.perf_counter() - start < 0.5  # the scanner stops at the 65th bracket
    assert str(caught.value) == f"invalid job spec {path}: line 2, column 78: nesting deeper than 64 levels"


def test_oversized_spec_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * safe_yaml.MAX_BYTES + "\nstage: sft\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"big.yaml: the file is 1,048,590 bytes; a job spec may be at most 1,048,576"):
        load_spec(path)


@pytest.mark.parametrize("command", ["train", "preflight"])
def test_cli_refuses_the_bomb_in_one_line(tmp_path, command):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB_SPEC, encoding="utf-8")
    start = time.perf_counter()
    proc = run_cli(command, str(path), home=tmp_path / "home", timeout=60)
    took = time.perf_counter() - start
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"error: invalid job spec {path}: line 11, column 5: expands to more than 100,000 nodes once its aliases "
        "are copied out; refused as a possible YAML bomb"
    ]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert took < 30  # the interpreter start-up; the refusal itself is milliseconds (asserted above)
    assert not (tmp_path / "home" / "runs").exists()  # nothing was created


def test_cli_deep_nesting_is_one_line(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text(DEEP, encoding="utf-8")
    proc = run_cli("preflight", str(path), home=tmp_path / "home", timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: invalid job spec {path}: line 1, column 65: nesting deeper than 64 levels"
    assert "Traceback" not in proc.stdout + proc.stderr and "RecursionError" not in proc.stderr


def test_dataset_registry_refuses_bomb_and_depth(tmp_path):
    (tmp_path / "datasets.yaml").write_text("qa:\n  path: a.jsonl\n  columns:\n" + laughs(), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_registry(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'datasets.yaml'}:9: expands to more than 100,000 nodes once its aliases are copied out; "
        "refused as a possible YAML bomb"
    )
    (tmp_path / "datasets.yaml").write_text("qa: " + DEEP, encoding="utf-8")
    with pytest.raises(DataError, match=r"datasets.yaml:1: nesting deeper than 64 levels$"):
        load_registry(tmp_path)


def test_policy_refuses_bomb_and_depth(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("sources:\n" + laughs(), encoding="utf-8")
    with pytest.raises(ValueError) as caught:  # SpecError naming data.mix.policy once inside a spec
        load_policy(policy)
    assert str(caught.value) == (
        f"mix.policy: {policy}: line 7, column 5: expands to more than 100,000 nodes once its aliases are copied "
        "out; refused as a possible YAML bomb"
    )
    policy.write_text(DEEP, encoding="utf-8")
    with pytest.raises(ValueError, match=r"policy.yaml: line 1, column 65: nesting deeper than 64 levels"):
        load_policy(policy)
