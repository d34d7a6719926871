#!/usr/bin/env bash
# Fresh-install check: a new venv without system site-packages gets
# `pip install .` with no extras (only the declared dependencies): the README's first command's
# `migrate` part must succeed with that alone; then the `runtime` extra and a one-epoch `mmrun train`.
# Torch comes from a local CPU wheel when one is around ($TORCH_WHEEL, else /opt/wheels), else
# from PyPI as `torch==2.13.0`. Prints the time of each step.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmmigrate-fresh.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
unset PYTHONPATH
step() { local t0=$SECONDS; "$@"; echo "fresh-install: $(( SECONDS - t0 ))s for: ${*:1:3}" >&2; }

step python3 -m venv "$tmp/venv"
py="$tmp/venv/bin/python"
# 1. no extras and no torch: `migrate` (the README's first command, its migrate part) needs
#    only the core dependencies
step "$py" -m pip install -q --disable-pip-version-check "$repo"
if "$py" -c "import torch" 2>/dev/null; then echo "fresh-install: torch came in without the runtime extra" >&2; exit 1; fi
# the installed copy, not the checkout, must be what runs
(cd "$tmp" && "$py" -c "import migrator, runtime, sys; assert '$repo' not in migrator.__file__ + runtime.__file__, (migrator.__file__, runtime.__file__)")
step "$tmp/venv/bin/migrate" fixtures/tree -o "$tmp/new/" --report "$tmp/new/report.json"
test -s "$tmp/new/report.json"
# 2. the runtime extra (CPU torch first, so pip never pulls a CUDA build): a short `mmrun train`
wheel="${TORCH_WHEEL:-$(ls /opt/wheels/torch-2.13.0*-cp3*-manylinux*_x86_64.whl 2>/dev/null | head -n1 || true)}"
step "$py" -m pip install -q --disable-pip-version-check "${wheel:-torch==2.13.0}"
step "$py" -m pip install -q --disable-pip-version-check "$repo[runtime]"
step "$tmp/venv/bin/mmrun" train fixtures/tutorial/config.py --work-dir "$tmp/work" \
    --cfg-options train_cfg.max_epochs=1
test -s "$tmp/work/epoch_1.pth"
echo "fresh-install: OK" >&2
