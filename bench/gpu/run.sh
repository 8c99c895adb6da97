#!/usr/bin/env bash
# The GPU check of issue 19, one command (under 8 minutes on one H100):
#   bash bench/gpu/run.sh OUT_DIR
# Installs the wheels of bench/gpu/wheels/ (from prepare.sh) into bench/gpu/.pkgs without the network,
# then runs bench/gpu/measure.py: full SFT of qwen2.5-0.5b vs bare TRL (tokens/s, MFU), QLoRA of
# qwen2.5-7b (peak GPU memory vs the estimate), LoRA of qwen2.5-1.5b with and without Liger.
# Writes OUT_DIR/results.json and OUT_DIR/results.md.
set -euo pipefail
OUT="${1:?usage: bash bench/gpu/run.sh OUT_DIR}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY="${PYTHON:-python3}"
mkdir -p "$OUT"
if ls "$HERE"/wheels/*.whl >/dev/null 2>&1; then
  "$PY" -m pip install --quiet --no-index --no-deps --find-links "$HERE/wheels" --target "$HERE/.pkgs" "$HERE"/wheels/*.whl
fi
export PYTHONPATH="$HERE/.pkgs:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
missing=$("$PY" - <<'PY'
import importlib.util
need = ["torch", "transformers", "peft", "accelerate", "tokenizers", "trl", "datasets", "pyarrow", "pandas",
        "bitsandbytes", "pydantic", "zstandard", "orjson", "yaml"]
print(" ".join(n for n in need if importlib.util.find_spec(n) is None))
PY
)
if [ -n "$missing" ]; then
  echo "error: not importable on this machine: $missing (run bench/gpu/prepare.sh where PyPI is reachable, or pip install them)" >&2
  exit 2
fi
cd "$ROOT"
timeout 480 "$PY" bench/gpu/measure.py "$OUT" "${@:2}"
