#!/usr/bin/env bash
# Download (here, from PyPI) exactly the wheels the GPU machine lacks into bench/gpu/wheels/ (gitignored).
# The GPU machine has torch, transformers, peft, accelerate, tokenizers, sentencepiece (and their own
# dependencies: numpy, safetensors, huggingface_hub, pyyaml, jinja2, psutil, ...). It lacks what the list
# below names. pyarrow (55 MB) and pandas (12 MB), which datasets needs, are not in the set: with them it
# would exceed the 64 MiB a device run can carry; run.sh checks they are importable and says so if not.
# deepspeed is left out too (one GPU: no ZeRO is measured).
#   PY_VERSION=3.11 bash bench/gpu/prepare.sh
set -euo pipefail
cd "$(dirname "$0")"
PY_VERSION="${PY_VERSION:-3.11}"
PIP="${PIP:-../../.venv/bin/python -m pip}"
rm -rf wheels && mkdir -p wheels
# Pinned to the versions the studio is tested with (pyproject.toml); --no-deps: only what is missing.
$PIP download --quiet --no-deps --only-binary=:all: -d wheels \
  --python-version "$PY_VERSION" --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any \
  trl==1.16.0 bitsandbytes==0.50.2 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 xxhash==4.1.0 \
  pydantic==2.14.4 pydantic_core==2.50.5 annotated_types==0.8.0 typing_inspection==0.4.5 \
  zstandard==0.25.0 orjson==3.13.0 liger-kernel==0.8.5
ls -l wheels
total=$(du -cb wheels/*.whl | tail -1 | cut -f1)
echo "total: $((total / 1048576)) MiB in $(ls wheels/*.whl | wc -l) wheels"
if [ "$total" -gt $((64 * 1048576)) ]; then echo "error: the wheels exceed 64 MiB" >&2; exit 1; fi
