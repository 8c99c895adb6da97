"""Preference, KTO, single-choice and generation formats: detection, normalised shapes, field-named
errors, the column mapping, and the shipped samples of every format."""

from __future__ import annotations

import json

import pytest

from backend.data.formats import ALL_FORMATS, DataError, apply_columns, detect_format
from backend.data.validate import inspect_source, iter_valid_records, normalise, record_texts
from backend.workspace import SAMPLES_DIR


def U(c):
    return {"role": "user", "content": c}


def A(c):
    return {"role": "assistant", "content": c}


def S(c):
    return {"role": "system", "content": c}


PAIR = {"prompt": [U("2+2?")], "chosen": [A("4")], "rejected": [A("5")]}


@pytest.mark.parametrize(
    "record, expected",
    [
        ({"prompt": "2+2?", "chosen": "4", "rejected": "5"}, PAIR),
        ({"prompt": "2+2?", "selected": "4", "rejected": "5"}, PAIR),  # LLMsTrainer
        ({"prompt": [U("2+2?")], "chosen": [A("4")], "rejected": [A("5")]}, PAIR),  # TRL conversational
        ({"chosen": [U("2+2?"), A("4")], "rejected": [U("2+2?"), A("5")]}, PAIR),  # TRL implicit prompt
        ({"prompt": "2+2?", "chosen": [U("2+2?"), A("4")], "rejected": [U("2+2?"), A("5")]}, PAIR),  # UltraFeedback
        ({"system": "S", "prompt": "2+2?", "chosen": "4", "rejected": "5"}, {**PAIR, "prompt": [S("S"), U("2+2?")]}),
        (
            {"chosen": [S("S"), U("hi"), A("yo"), U("2+2?"), A("4")],
             "rejected": [S("S"), U("hi"), A("yo"), U("2+2?"), A("5")]},
            {**PAIR, "prompt": [S("S"), U("hi"), A("yo"), U("2+2?")]},
        ),
        (
            {"system": "S", "prompt": [U("hi"), A("yo"), U("2+2?")], "chosen": "4", "rejected": "5"},
            {**PAIR, "prompt": [S("S"), U("hi"), A("yo"), U("2+2?")]},
        ),
    ],
)  # fmt: skip
def test_preference_variants_normalise_to_trl_conversational_form(record, expected):
    assert detect_format(record) == "preference"
    out = normalise(record, "preference")
    assert out == expected and "messages" not in out


def test_kto_labels_and_shapes():
    base = {"prompt": "hi", "completion": "hello"}
    for raw, label in [(True, True), (False, False), (1, True), (0, False), ("true", True), (" False ", False),
                       ("1", True), ("0", False)]:  # fmt: skip
        record = {**base, "label": raw}
        assert detect_format(record) == "kto"
        assert normalise(record, "kto") == {"prompt": [U("hi")], "completion": [A("hello")], "label": label}
    listed = {"system": "S", "prompt": [U("hi")], "completion": [A("hello")], "label": False}
    assert normalise(listed, "kto") == {"prompt": [S("S"), U("hi")], "completion": [A("hello")], "label": False}


@pytest.mark.parametrize(
    "record, choices, answer",
    [
        ({"question": "1+1?", "A": "1", "B": "2", "C": "3", "D": "4", "answer": "B"}, ["1", "2", "3", "4"], 1),
        ({"question": "1+1?", "A": "1", "B": 2, "answer": "b"}, ["1", "2"], 1),  # numbers, lower-case letter
        ({"question": "q", **{k: k.lower() for k in "ABCDEFGHIJ"}, "answer": "J"}, list("abcdefghij"), 9),
        ({"question": "q", "choices": ["x", "y", "z"], "answer": 2}, ["x", "y", "z"], 2),  # MMLU
        ({"question": "q", "options": ["x", "y"], "answer": "A"}, ["x", "y"], 0),
        ({"question": "q", "options": ["x", "y"], "answer": "1"}, ["x", "y"], 1),  # an index from a CSV
    ],
)
def test_choice_layouts(record, choices, answer):
    assert detect_format(record) == "choice"
    assert normalise(record, "choice") == {"question": record["question"], "choices": choices, "answer": answer}


def test_question_answer_stays_text_unless_it_has_options():
    qa = {"question": "Q?", "answer": "A."}
    assert detect_format(qa) == "text" and normalise(qa, "text") == {"text": "Q?\nA."}
    assert detect_format({**qa, "A": "x"}) == "text"  # one option key is not a choice layout
    assert detect_format({**qa, "A": "x", "B": "y"}) == "choice"
    assert detect_format({**qa, "choices": ["x", "y"]}) == "choice"
    with pytest.raises(DataError) as err:  # forced: names what the layout lacks
        normalise(qa, "choice")
    assert err.value.field == "options"


def test_generation_prompts():
    assert detect_format({"prompt": "p"}) == "generation"
    assert normalise({"prompt": "p", "id": 7}, "generation") == {"prompt": [U("p")], "reference": None}
    for key in ("reference", "response", "output"):
        assert normalise({"prompt": "p", key: "r"}, "generation") == {"prompt": [U("p")], "reference": "r"}
    assert normalise({"prompt": "p", "reference": " "}, "generation")["reference"] is None
    listed = {"system": "S", "prompt": [U("a"), A("b"), U("c")], "reference": "d"}
    assert normalise(listed, "generation") == {"prompt": [S("S"), U("a"), A("b"), U("c")], "reference": "d"}
    with pytest.raises(DataError, match="cannot tell the format"):  # unlabelled prompt+completion is not ours
        detect_format({"prompt": "p", "completion": "c"})


def test_all_formats_and_no_messages_key_for_task_records():
    assert set(ALL_FORMATS) >= {"preference", "kto", "choice", "generation"} and len(ALL_FORMATS) == 10
    cases = [
        (PAIR, "preference"),
        ({"prompt": "p", "completion": "c", "label": 1}, "kto"),
        ({"question": "q", "A": "a", "B": "b", "answer": "A"}, "choice"),
        ({"prompt": "p"}, "generation"),
    ]
    for record, fmt in cases:
        assert "messages" not in normalise(record, fmt) and record_texts(normalise(record, fmt))


M = json.dumps


@pytest.mark.parametrize(
    "line, field, words",
    [
        (M({"prompt": "p", "chosen": "a", "rejected": "a"}), "rejected", "chosen and rejected are identical"),
        (M({"prompt": "p", "selected": "a", "rejected": "a"}), "rejected", "selected and rejected are identical"),
        (M({"chosen": [U("p"), A("a")], "rejected": [U("p"), A("a")]}), "rejected", "are identical"),
        (M({"prompt": "p", "chosen": "a"}), "rejected", "is missing"),
        (M({"prompt": "p", "rejected": "a"}), "chosen", "is missing"),
        (M({"chosen": "a", "rejected": "b"}), "prompt", "is missing"),
        (M({"prompt": "p", "chosen": [A("a"), {"content": "b"}], "rejected": "c"}), "chosen[1].role", "is missing"),
        (M({"prompt": "p", "chosen": [A("a"), A("b")], "rejected": "c"}), "chosen[1].role", "two assistant turns"),
        (M({"prompt": "p", "chosen": "a", "rejected": [A("")]}), "rejected[0].content", "is empty"),
        (M({"prompt": "p", "chosen": "a", "rejected": 3}), "rejected", "not a string or a list"),
        (M({"prompt": [U("p"), A("x")], "chosen": "a", "rejected": "b"}), "prompt[1].role", "must end with a user"),
        (M({"prompt": [A("p")], "chosen": "a", "rejected": "b"}), "prompt[0].role", "as the first turn"),
        (M({"prompt": "", "chosen": "a", "rejected": "b"}), "prompt", "is empty"),
        (M({"system": 5, "prompt": "p", "chosen": "a", "rejected": "b"}), "system", "not a string"),
        (M({"system": "T", "prompt": [S("S"), U("p")], "chosen": "a", "rejected": "b"}), "system", "given twice"),
        (M({"prompt": "p", "chosen": "a", "selected": "a", "rejected": "b"}), "selected", "both given"),
        (M({"chosen": [A("a")], "rejected": [U("p"), A("b")]}), "chosen", "share no user turn"),
        (M({"chosen": [U("p"), A("a")], "rejected": [U("p")]}), "rejected", "no assistant reply"),
        (M({"chosen": [U("p"), A("a")], "rejected": "b"}), "rejected", "must be a list"),
        (M({"prompt": "q", "chosen": [U("p"), A("a")], "rejected": [U("p"), A("b")]}), "prompt", "differs"),
        (M({"prompt": "p", "completion": "c", "label": 2}), "label", "expected true or false"),
        (M({"prompt": "p", "completion": "c", "label": "yes"}), "label", "expected true or false"),
        (M({"prompt": "p", "completion": "c", "label": None}), "label", "is null; expected true or false (or 1 or 0)"),
        (M({"prompt": "p", "completion": [U("c")], "label": True}), "completion[0].role", "assistant's reply only"),
        (M({"completion": "c", "label": True}), "prompt", "is missing"),
        (M({"question": "q", "A": "a", "B": "b", "answer": "C"}), "answer", "out of range"),
        (M({"question": "q", "choices": ["a", "b"], "answer": 2}), "answer", "out of range"),
        (M({"question": "q", "choices": ["a", "b"], "answer": -1}), "answer", "out of range"),
        (M({"question": "q", "A": "a", "B": "b", "answer": "AB"}), "answer", "expected a letter"),
        (M({"question": "q", "A": "a", "B": "b", "answer": True}), "answer", "expected a letter"),
        (M({"question": "q", "A": "a", "B": "b"}), "answer", "is missing"),
        (M({"question": "q", "A": "a", "B": "b", "D": "d", "answer": "A"}), "C", "although option D"),
        (M({"question": "q", "A": "a", "B": "", "answer": "A"}), "B", "is empty"),
        (M({"question": "q", "A": "a", "B": [1], "answer": "A"}), "B", "not a string"),
        (M({"question": "q", "choices": ["a"], "answer": 0}), "choices", "has 1 options"),
        (M({"question": "q", "choices": "ab", "answer": 0}), "choices", "must be a list"),
        (M({"question": "q", "options": ["a", None], "answer": 0}), "options[1]", "is missing"),
        (M({"question": "", "A": "a", "B": "b", "answer": "A"}), "question", "is empty"),
        (M({"prompt": [U("p"), A("a")]}), "prompt[1].role", "must end with a user"),
        (M({"prompt": []}), "prompt", "is empty"),
        (M({"prompt": "p", "reference": 3}), "reference", "not a string"),
        (M({"prompt": "p", "output": ["x"]}), "output", "not a string"),
    ],
)  # fmt: skip
def test_errors_name_file_line_and_field(tmp_path, line, field, words):
    """The first line sets the format, the second is bad: reported as file:2: field: what."""
    fmt = detect_format(json.loads(line))
    good = {
        "preference": PAIR,
        "kto": {"prompt": "p", "completion": "c", "label": True},
        "choice": {"question": "q", "A": "a", "B": "b", "answer": "A"},
        "generation": {"prompt": "p"},
    }[fmt]
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(good) + "\n" + line + "\n", encoding="utf-8")
    report = inspect_source(path)
    assert report.format == fmt and report.records == 1 and report.bad == 1, report.errors
    assert report.errors[0].startswith(f"{path}:2: {field}: ") and words in report.errors[0], report.errors


def test_column_mapping(tmp_path):
    record = {"Question": "1+1?", "A": "1", "B": "2", "Answer": "B"}
    columns = {"question": "Question", "answer": "Answer"}
    mapped = apply_columns(record, columns)
    assert mapped == {"question": "1+1?", "A": "1", "B": "2", "answer": "B"} and "Question" in record  # pure
    assert apply_columns(record, None) is record and apply_columns([1], columns) == [1]
    swapped = apply_columns(
        {"prompt": "p", "chosen": "bad", "rejected": "good"}, {"chosen": "rejected", "rejected": "chosen"}
    )
    assert swapped == {"prompt": "p", "chosen": "good", "rejected": "bad"}
    path = tmp_path / "cmmlu.jsonl"
    path.write_text(
        json.dumps(record) + "\n" + json.dumps({"Question": "q", "A": "a", "B": "b"}) + "\n", encoding="utf-8"
    )
    report = inspect_source(path, columns=columns)
    assert report.format == "choice" and report.records == 1
    assert report.errors == [f"{path}:2: Answer: is missing (the column mapping reads 'answer' from it)"]
    unmapped = inspect_source(path)  # Question/Answer are not keys of any format
    assert unmapped.records == 0 and "cannot tell the format" in unmapped.errors[0]
    records = iter_valid_records(path, on_error="skip", columns=columns)
    assert list(records) == [{"question": "1+1?", "choices": ["1", "2"], "answer": 1}] and records.skipped == 1
    csv = tmp_path / "pairs.csv"
    csv.write_text("instruction,good,bad\nsay hi,hi,go away\n", encoding="utf-8")
    rows = list(iter_valid_records(csv, columns={"prompt": "instruction", "chosen": "good", "rejected": "bad"}))
    assert rows == [{"prompt": [U("say hi")], "chosen": [A("hi")], "rejected": [A("go away")]}]
    for wrong in ({"prompt": 3}, ["prompt"], {"a": "x", "b": "x"}):
        with pytest.raises(DataError, match="columns"):
            inspect_source(path, columns=wrong)


SAMPLES = {
    "preference.jsonl": "preference",
    "kto.jsonl": "kto",
    "eval_choice.jsonl": "choice",
    "eval_prompts.jsonl": "generation",
    "sft_xtuner.jsonl": "xtuner",
    "sft_firefly.jsonl": "firefly",
    "pretrain.txt": "text",
    "pretrain.csv": "text",
    "pretrain_zh_en.jsonl": "text",
    "pretrain_title_content.jsonl": "text",
    "sft_messages.jsonl": "messages",
    "sft_alpaca.json": "alpaca",
    "sft_sharegpt.jsonl": "sharegpt",
}


def test_every_sample_is_listed_and_documented():
    shipped = {p.name for p in SAMPLES_DIR.iterdir()} - {"README.md", "src"}  # src/: the generator's prose pools
    assert shipped == set(SAMPLES)
    readme = (SAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_inspect_clean(name):
    report = inspect_source(SAMPLES_DIR / name)
    assert report.bad == 0 and report.format == SAMPLES[name], report.errors
    if name not in ("pretrain_zh_en.jsonl", "sft_messages.jsonl", "sft_alpaca.json", "sft_sharegpt.jsonl",
                    "pretrain_title_content.jsonl"):  # fmt: skip
        assert 20 <= report.records <= 60
        texts = [t for r in iter_valid_records(SAMPLES_DIR / name) for t in record_texts(r)]
        assert any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t), "no Chinese"
        assert any(t.isascii() and " " in t for t in texts), "no English"


def test_sample_variants_and_choice_answers():
    raw = [json.loads(line) for line in (SAMPLES_DIR / "preference.jsonl").open(encoding="utf-8")]
    assert any(isinstance(r.get("chosen"), str) for r in raw) and any("selected" in r for r in raw)
    assert any(isinstance(r.get("chosen"), list) and "prompt" in r for r in raw)
    assert any("prompt" not in r for r in raw)  # implicit prompt
    kto = list(iter_valid_records(SAMPLES_DIR / "kto.jsonl"))
    assert {r["label"] for r in kto} == {True, False}
    choice = list(iter_valid_records(SAMPLES_DIR / "eval_choice.jsonl"))
    assert all(0 <= r["answer"] < len(r["choices"]) for r in choice)
    assert len({r["answer"] for r in choice}) == 4  # answers are not all one letter
    by_question = {r["question"]: r["choices"][r["answer"]] for r in choice}
    assert by_question["12 × 15 = ?"] == "180" and by_question["What is 2 to the power of 10?"] == "1024"
    assert by_question["中国的首都是哪座城市？"] == "北京"
    prompts = list(iter_valid_records(SAMPLES_DIR / "eval_prompts.jsonl"))
    assert all(r["prompt"][-1]["role"] == "user" for r in prompts)
    assert sum(r["reference"] is not None for r in prompts) >= len(prompts) - 3


def test_token_statistics_for_new_formats(tiny_tokenizer):
    for name in ("preference.jsonl", "kto.jsonl", "eval_choice.jsonl", "eval_prompts.jsonl"):
        report = inspect_source(SAMPLES_DIR / name, tokenizer=tiny_tokenizer)
        assert report.tokens.n == report.records and report.tokens.lo > 0
        assert f"{report.records} records, 0 bad" in report.render()
    fields = inspect_source(SAMPLES_DIR / "preference.jsonl").to_dict()["chars"]
    assert set(fields) == {"prompt", "chosen", "rejected"}
    choice = inspect_source(SAMPLES_DIR / "eval_choice.jsonl")
    assert choice.fields["options"].hi == 4 and "options " in choice.render()


def test_task_features_hold_the_normalised_records(tmp_path):
    import datasets

    from backend.data.task_formats import task_features

    for name, fmt in [("preference.jsonl", "preference"), ("kto.jsonl", "kto"), ("eval_choice.jsonl", "choice")]:
        records = list(iter_valid_records(SAMPLES_DIR / name))
        ds = datasets.Dataset.from_list(records, features=task_features(fmt))
        assert ds.to_list() == records
    # 2,500 prompts without a reference before one with it: inference alone fails on this.
    records = [{"prompt": [U("p")], "reference": None}] * 2500 + [{"prompt": [U("p")], "reference": "r"}]
    gen = datasets.Dataset.from_generator(
        lambda: iter(records), features=task_features("generation"), cache_dir=str(tmp_path)
    )
    assert gen[-1]["reference"] == "r" and gen[0]["reference"] is None


def test_sft_rejects_preference_data_with_a_stage_message(tmp_path):
    from backend.data.build import load_records
    from backend.spec import JobSpec

    data = {"sources": [{"path": "builtin:samples/preference.jsonl"}]}
    spec = JobSpec.model_validate({"stage": "sft", "model": {"name_or_path": "builtin:tiny-llama"}, "data": data})
    with pytest.raises(DataError, match="'preference' data; the sft stage needs a chat format") as caught:
        load_records(spec, "chat")
    assert caught.value.advice == (
        "point data.sources[0].path at such data, or use this preference data with the rm, dpo, orpo or kto stage"
    )
