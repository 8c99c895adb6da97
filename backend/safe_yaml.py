"""The one YAML loader for files a user hands the studio: job specs, sample policies, the dataset registry.

``yaml.safe_load`` refuses Python objects but not a YAML bomb: a few hundred bytes of nested aliases
("billion laughs") describe a graph of 10⁹ nodes, which validation then copies out node by node, and a
100k-deep ``[[[…]]]`` overflows Python's stack in the composer. :func:`load_yaml` composes with
:class:`BoundedLoader`, a ``yaml.SafeLoader`` whose composer counts as it goes and refuses a document
with more than ``MAX_ALIASES`` alias uses, a recursive alias, nesting deeper than ``MAX_DEPTH``, or a
node graph that would expand to more than ``MAX_NODES`` nodes once aliases are copied out; a file
larger than ``MAX_BYTES`` is refused before it is parsed. Each refusal is a :class:`YAMLLimitError`
(a ``yaml.MarkedYAMLError``) carrying the line and column, so callers report it like a syntax error
with :func:`yaml_problem`. Torch-free.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, SequenceNode

MAX_BYTES = 1 << 20  # a job spec, policy or registry is a few kB; 1 MiB leaves room for long source lists
MAX_ALIASES = 100  # anchors/aliases are for sharing a few blocks, not for building big documents
MAX_DEPTH = 64  # a spec nests 4 levels; the composer recurses about 3 frames per level
MAX_NODES = 100_000  # scalars, lists and mappings once every alias is expanded


class YAMLLimitError(yaml.MarkedYAMLError):
    """The document exceeds one of the loader's bounds; ``problem`` says which, ``problem_mark`` where."""


class BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with bounded aliases, nesting depth and expanded size (see the module doc)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._sizes: dict[int, int] = {}  # id(node) -> nodes it stands for once aliases are expanded

    def _refuse(self, problem: str, mark) -> None:
        raise YAMLLimitError(problem=problem, problem_mark=mark)

    def fetch_flow_collection_start(self, TokenClass):
        # The scanner looks up to 1024 characters ahead for a possible "[...]: value" key, re-checking every
        # open bracket at each step: 1,000 brackets cost seconds before the composer sees any depth.
        if self.flow_level >= MAX_DEPTH:
            self._refuse(f"nesting deeper than {MAX_DEPTH} levels", self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.peek_event()
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                self._refuse(
                    f"more than {MAX_ALIASES} aliases (*name); refused as a possible YAML bomb", event.start_mark
                )
            node = super().compose_node(parent, index)
            if id(node) not in self._sizes:  # the anchor's node is still being composed: it contains itself
                self._refuse(f"alias *{event.anchor} refers to a node that contains it (recursive)", event.start_mark)
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            self._refuse(f"nesting deeper than {MAX_DEPTH} levels", self.peek_event().start_mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, SequenceNode):
            size = 1 + sum(self._sizes[id(n)] for n in node.value)
        elif isinstance(node, MappingNode):
            size = 1 + sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)
        else:
            size = 1
        if size > MAX_NODES:
            self._refuse(
                f"expands to more than {MAX_NODES:,} nodes once its aliases are copied out; refused as a possible "
                "YAML bomb",
                node.start_mark,
            )
        self._sizes[id(node)] = size
        return node


def load_yaml(text: str) -> Any:
    """Parse one YAML document with :class:`BoundedLoader` (safe types only).

    Raises ``yaml.YAMLError``: a syntax error, or a :class:`YAMLLimitError` for a bound exceeded.
    """
    if len(text) > MAX_BYTES:
        raise YAMLLimitError(problem=f"the text is {len(text):,} characters; the limit is {MAX_BYTES:,}")
    loader = BoundedLoader(text)
    try:
        return loader.get_single_data()
    except RecursionError:  # a bound above should come first; never let the stack overflow escape
        raise YAMLLimitError(problem=f"nesting too deep (over {MAX_DEPTH} levels)") from None
    finally:
        loader.dispose()


def read_yaml_file(path: str | os.PathLike) -> Any:
    """Read and parse a YAML file, refusing one over ``MAX_BYTES`` before reading it.

    Raises ``OSError``/``UnicodeDecodeError`` for an unreadable file and ``yaml.YAMLError`` as :func:`load_yaml`.
    """
    file = Path(path)
    size = file.stat().st_size
    if size > MAX_BYTES:
        raise YAMLLimitError(problem=f"the file is {size:,} bytes; the limit is {MAX_BYTES:,}")
    return load_yaml(file.read_text(encoding="utf-8"))


def yaml_problem(exc: yaml.YAMLError) -> str:
    """One line for a YAML error: ``line L, column C: <problem>`` (no newline, no snippet of the text)."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = getattr(exc, "problem", None) or str(exc)
    kind = "" if isinstance(exc, YAMLLimitError) else "YAML syntax error: "
    return " ".join(f"{where}{kind}{problem}".split())
