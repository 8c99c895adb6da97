"""The engine ``studio chat`` and ``studio serve`` load from their shared model arguments.

Both front ends parse the same model flags (``cli.chat._model_args``); this module turns them into
a :class:`backend.chat.engine.ChatEngine`. It sits apart from both so that ``backend.chat.serve``
need not import the chat CLI that starts it (an import cycle). Torch is imported only when an engine is loaded.
"""

from __future__ import annotations


def load_engine(args):
    """``ChatEngine.load`` with the parsed ``model``, ``--adapter``, ``--home``, ``--dtype``, ``--bits``,
    ``--template`` and ``--trust-remote-code`` of ``studio chat``/``studio serve``."""
    from backend.chat.engine import ChatEngine

    return ChatEngine.load(
        args.model, args.adapter, home=args.home, dtype=args.dtype, bits=args.bits, template=args.template,
        trust_remote_code=args.trust_remote_code,
    )  # fmt: skip
