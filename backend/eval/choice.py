"""Single-choice accuracy (C-Eval, CMMLU, MMLU style): score the option letters by next-token logits.

Each question becomes a prompt that lists its options and asks for the letter (Chinese wording when the
question or its options hold CJK text, English otherwise). The model reads the prompt once; the
prediction is the letter whose first token has the highest next-token logit, so no text is generated and
no answer parsing can go wrong. With a chat template the prompt is a user turn and the letter is the
assistant's reply (few-shot examples are earlier user/assistant turns), which is also how
:func:`choice_messages` writes training data for the task; with ``template="none"`` it is plain text
ending in ``答案：``/``Answer:`` (base models). Few-shot examples are the first questions of the same
subject (from ``few_shot_path``, e.g. C-Eval's dev split, else from the evaluated file itself, never the
question being asked).
"""

from __future__ import annotations

from collections import defaultdict

from backend.eval.data import EvalRecord, has_cjk, read_records

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
HEADER = {
    "zh": "以下是单项选择题，请直接给出正确答案的选项。",
    "en": "The following is a multiple-choice question. Answer with the letter of the correct option.",
}
ANSWER = {"zh": "答案：", "en": "Answer:"}


def language(record: dict) -> str:
    """``zh`` when the question or an option holds CJK text, else ``en``."""
    return "zh" if has_cjk(record["question"], *record["choices"]) else "en"


def format_question(record: dict, lang: str | None = None) -> str:
    """The question, its options as ``A. ...`` lines, and the answer cue, without the header."""
    lang = lang or language(record)
    options = "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(record["choices"]))
    return f"{record['question']}\n{options}\n{ANSWER[lang]}"


def choice_messages(record: dict, examples: list[dict] = (), with_answer: bool = True) -> list[dict]:
    """The question (after ``examples``) as chat turns; the letter as the assistant's reply if ``with_answer``."""
    lang = language(record)
    messages: list[dict] = []
    for i, r in enumerate([*examples, record]):
        text = format_question(r, lang)
        messages.append({"role": "user", "content": f"{HEADER[lang]}\n\n{text}" if i == 0 else text})
        if r is not record or with_answer:
            messages.append({"role": "assistant", "content": LETTERS[r["answer"]]})
    return messages


def _plain_prompt(record: dict, examples: list[dict]) -> str:
    lang = language(record)
    sep = "" if lang == "zh" else " "
    shots = "".join(f"{format_question(r, lang)}{sep}{LETTERS[r['answer']]}\n\n" for r in examples)
    return f"{HEADER[lang]}\n\n{shots}{format_question(record, lang)}"


def build_prompt(tokenizer, record: dict, examples: list[dict], template: str) -> tuple[str, str]:
    """(prompt text, what goes between it and the letter): chat-rendered, or plain for ``template="none"``."""
    from backend.data.templates import render

    if template == "none":
        return _plain_prompt(record, examples), "" if language(record) == "zh" else " "
    return render(tokenizer, choice_messages(record, examples, with_answer=False), template, True), ""


def letter_ids(tokenizer, prompt: str, sep: str, n: int) -> list[int]:
    """The token id each option letter starts with when it follows ``prompt`` (tokenised in context, so
    ``B`` after a newline and `` B`` after a colon get the ids the model would see)."""
    texts = [prompt] + [prompt + sep + LETTERS[i] for i in range(n)]
    enc = tokenizer(texts, add_special_tokens=False)["input_ids"]
    base, out = enc[0], []
    for i, ids in enumerate(enc[1:]):
        if ids[: len(base)] == base and len(ids) > len(base):
            out.append(ids[len(base)])
        else:  # the letter merged with the prompt's last token: fall back to the letter alone
            out.append(tokenizer(sep + LETTERS[i], add_special_tokens=False)["input_ids"][-1])
    if len(set(out)) < n:
        raise ValueError(
            "the tokenizer gives two option letters the same token; choice accuracy cannot tell them apart"
        )
    return out


def _shots(records: list[EvalRecord], pool: list[EvalRecord], k: int) -> list[list[dict]]:
    by_subject: dict[str, list[EvalRecord]] = defaultdict(list)
    for r in pool:
        by_subject[r.subject].append(r)
    out = []
    for r in records:
        same = by_subject.get(r.subject) or pool  # a subject missing from the dev file borrows any examples
        out.append([e.value for e in same if e is not r][:k])
    return out


def _last_logits(model, tokenizer, prompts: list[str]):
    """Next-token logits after each prompt (left padding so the last position is the prompt's end)."""
    import torch

    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        enc = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
    finally:
        tokenizer.padding_side = side
    # Positions count from each prompt's first real token, as without padding (absolute-position models).
    positions = (enc["attention_mask"].cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        out = model(**enc, position_ids=positions, logits_to_keep=1)
    return out.logits[:, -1, :].float()


def choice_accuracy(model, tokenizer, path, template: str, few_shot: int = 0, few_shot_path=None,
                    batch_size: int = 8, limit: int | None = None,
                    records: list[EvalRecord] | None = None) -> dict:  # fmt: skip
    """Accuracy on the single-choice questions of ``path`` (or ``records``), overall and per subject.

    ``template`` is the Jinja chat template (see :func:`backend.data.templates.resolve_template`) or
    ``"none"`` for a plain-text prompt. Returns ``{"accuracy", "correct", "total", "subjects": {name:
    {"accuracy", "correct", "total"}}, "predictions": [{"where", "subject", "answer", "predicted",
    "correct", "probs"}]}``; ``probs`` are the softmax over the option letters.
    """
    import torch

    records = records if records is not None else read_records(path, "choice", limit)
    pool = read_records(few_shot_path, "choice") if few_shot_path else records
    shots = _shots(records, pool, few_shot) if few_shot else [[] for _ in records]
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    predictions = []
    for start in range(0, len(records), batch_size):
        batch = records[start : start + batch_size]
        prompts, ids = [], []
        for r, examples in zip(batch, shots[start : start + batch_size], strict=True):
            prompt, sep = build_prompt(tokenizer, r.value, examples, template)
            prompts.append(prompt)
            ids.append(letter_ids(tokenizer, prompt, sep, len(r.value["choices"])))
        logits = _last_logits(model, tokenizer, prompts)
        for row, r, option_ids in zip(logits, batch, ids, strict=True):
            probs = torch.softmax(row[option_ids], dim=-1).tolist()
            pred = max(range(len(probs)), key=probs.__getitem__)
            answer = r.value["answer"]
            predictions.append(dict(where=r.where, subject=r.subject, answer=LETTERS[answer],
                                    predicted=LETTERS[pred], correct=pred == answer,
                                    probs=[round(p, 4) for p in probs]))  # fmt: skip
    return summarise(predictions)


def summarise(predictions: list[dict]) -> dict:
    """Overall and per-subject accuracy of per-question predictions (see :func:`choice_accuracy`)."""
    subjects: dict[str, dict] = {}
    for p in predictions:
        s = subjects.setdefault(p["subject"], {"correct": 0, "total": 0})
        s["correct"] += int(p["correct"])
        s["total"] += 1
    for s in subjects.values():
        s["accuracy"] = s["correct"] / s["total"]
    correct = sum(int(p["correct"]) for p in predictions)
    total = len(predictions)
    return {"accuracy": correct / total if total else 0.0, "correct": correct, "total": total,
            "subjects": dict(sorted(subjects.items())), "predictions": predictions}  # fmt: skip
