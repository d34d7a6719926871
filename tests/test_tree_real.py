"""The equivalence invariant on the real mmdet 2.28.2 tree (downloaded into .cache/): for every
input file, the converted tree loaded with our runtime Config and with real MMEngine's Config
equals the flat conversion of the same file (minus the fields the report says were withheld to
avoid duplicate keys among sibling bases). Plus idempotency and --check on the same trees."""
import json
import re
from pathlib import Path

import pytest

from migrator.cli import main as migrate
from migrator.convert import convert_file
from migrator.emit.tree import normalize
from realdata import converted_tree, real_configs

pytestmark = pytest.mark.integration
PKG, VER = "mmdet", "2.28.2"
CHUNKS = 4


def _files():
    root = real_configs(PKG, VER)
    return root, sorted(p.relative_to(root) for p in root.rglob("*.py"))


def _withheld(out: Path):
    data = json.loads((out / "report.json").read_text())
    held = {}
    for f in data["files"]:
        for w in f.get("warnings", []):
            if "not written here" in w["message"]:
                held.setdefault(w["file"], set()).add(w["field"])
    return held


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_real_tree_equals_flat_conversion(chunk):
    from mmengine.config import Config as MMConfig

    from runtime.config import Config
    root, files = _files()
    out = converted_tree(PKG, VER)
    held = _withheld(out)
    bad = []
    for rel in files[chunk::CHUNKS]:
        flat = normalize(convert_file(root / rel).new)   # the per-file codebase decision
        for k in held.get(str((root / rel).resolve()), ()):   # the report names resolved paths
            flat.pop(k, None)
        ours = normalize(Config.fromfile(str(out / rel), import_custom_modules=False).to_dict())
        theirs = normalize(MMConfig.fromfile(str(out / rel), import_custom_modules=False).to_dict())
        if ours != flat or theirs != flat:
            bad.append(str(rel))
    assert not bad, f"{len(bad)} files differ, e.g. {bad[:5]}"


def test_real_tree_idempotent_and_check(tmp_path, capsys):
    out = converted_tree(PKG, VER)
    again = tmp_path / "again"
    assert migrate([str(out), "-o", str(again), "-q"]) == 0
    changed = [p for p in out.rglob("*.py") if (again / p.relative_to(out)).read_text() != p.read_text()]
    assert not changed, changed[:5]
    assert migrate([str(out), "--check", "-q"]) == 0
    capsys.readouterr()
    assert migrate([str(real_configs(PKG, VER)), "--check", "-q"]) == 1
    assert "_base_/schedules/schedule_1x.py:2: MM201 optimizer -> optim_wrapper" in capsys.readouterr().out


@pytest.fixture(scope="module")
def flat_tree(tmp_path_factory):
    out = tmp_path_factory.mktemp("flat")
    assert migrate([str(real_configs(PKG, VER)), "-o", str(out), "--flat", "-q", "-j", "1"]) == 0
    return out


@pytest.mark.parametrize("chunk", range(2))
def test_real_flat_outputs_load_in_mmengine(flat_tree, chunk):
    """Every flat output text (not only its dict) loads in real MMEngine and equals the
    conversion; it has no `_base_` left."""
    from mmengine.config import Config as MMConfig
    root, files = _files()
    bad = []
    for rel in files[chunk::2]:
        text = (flat_tree / rel).read_text()
        assert not re.search(r"^_base_\s*=", text, re.M), rel
        got = normalize(MMConfig.fromfile(str(flat_tree / rel), import_custom_modules=False).to_dict())
        if got != normalize(convert_file(root / rel).new):
            bad.append(str(rel))
    assert not bad, f"{len(bad)} flat files differ, e.g. {bad[:5]}"
