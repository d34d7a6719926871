"""`migrate ... --report-md FILE`: the Markdown report for a pull request."""
import json

from casekit import ROOT
from migrator.cli import Result, main
from migrator.report_md import render_md
from migrator.verify.run import Check, PairResult, TreeVerification
from migrator.verify.trace import Verdict

TODO = "custom hook not converted: register it in MMEngine"


def _result(src, status="converted", todos=(), warnings=(), rules=("schedule",), error=None):
    rep = {"path": src, "rules_applied": list(rules),
           "not_converted": [dict(field=f, message=m, file=fl, line=ln) for f, m, fl, ln in todos],
           "warnings": [dict(field=f, message=m, file=fl, line=ln) for f, m, fl, ln in warnings]}
    return Result(src, "out/" + src, status, None, error, rep)


def test_findings_grouped_by_message_and_counted_once():
    inherited = ("custom_hooks[0]", TODO, "configs/_base_/rt.py", 3)
    results = [
        _result("configs/a.py", todos=[inherited, ("custom_hooks[1]", TODO, "configs/a.py", 7)]),
        _result("configs/b.py", todos=[inherited],           # the same base line: counted once
                warnings=[("lr_config.warmup", "warmup | approximated", "configs/b.py", 5)]),
        _result("configs/c.py", status="unchanged", rules=()),
        _result("configs/d.py", status="error", error="configs/d.py:2: os: `import` is not allowed"),
    ]
    md = render_md(results, command="migrate configs -o out")
    assert md.startswith("## MMCV 1.x → MMEngine migration\n")
    assert "Produced by mmmigrate 0.1.0: `migrate configs -o out`" in md
    for row in ("| files | 4 |", "| converted | 2 |", "| unchanged | 1 |", "| errors | 1 |",
                "| TODOs (not converted) | 2 |", "| warnings (approximated) | 1 |"):
        assert row in md, row
    assert "### Files changed (2)" in md and "| `out/configs/a.py` | schedule |" in md
    assert "### TODOs: not converted, left as `# TODO(migrate)` comments (2, 1 distinct)" in md
    assert (f"| 2 | {TODO} | `custom_hooks[0]`, `custom_hooks[1]` | "
            "`configs/_base_/rt.py:3`, `configs/a.py:7` |") in md
    assert "| 1 | warmup \\| approximated | `lr_config.warmup` | `configs/b.py:5` |" in md
    assert "### Errors (1)\n\n- `configs/d.py`: configs/d.py:2: os: `import` is not allowed" in md
    assert "Verification" not in md                          # no --verify: no section


def test_verification_section():
    ok = PairResult("out/a.py", "a.py", "out/a.py", checks=[Check(4, {}, {}, Verdict(True))])
    bad = PairResult("out/b.py", "b.py", "out/b.py", checks=[Check(
        4, {}, {}, Verdict(False, "lr", 1, 5.996e-5, 6.004e-5,
                           "iter 1: lr old=5.9960e-05 new=6.0040e-05"))])
    near = PairResult("out/c.py", "c.py", "out/c.py", checks=[Check(
        4, {}, {}, Verdict(False, "lr", 1, 1.0, 1.1, "iter 1: lr old=1.0000 new=1.1000"),
        approx={"codes": ["MA101"], "max_dev": 0.1, "at": 1, "bound_at": 0.12, "max_bound": 0.12,
                "quantities": ["lr"]})], records=[{"code": "MA101"}])
    tv = TreeVerification([ok, bad, near],
                          [("out/_base_/s.py", "not trainable alone (no model)")])
    md = render_md([_result("a.py")], tv)
    assert "| verification: verified | 1 |" in md and "| verification: differs | 1 |" in md
    assert "| verification: approximate | 1 |" in md
    assert "1 verified, 1 approximate (within the bound the conversion recorded), 1 differ, " \
        "0 could not run; 1 not trainable alone" in md
    assert "| `out/c.py` | MA101 | lr within MA101: max relative deviation 0.1 at iter 1 " \
        "(bound there 0.12) | 4 |" in md
    assert "| `out/b.py` | DIFFERS | iter 1: lr old=5.9960e-05 new=6.0040e-05 (dataset_len=4) |" in md
    assert "<details><summary>1 verified</summary>\n\n- `out/a.py` (dataset lengths 4)" in md
    assert "- `out/_base_/s.py`: not trainable alone (no model)" in md


def test_report_md_agrees_with_the_json_report(tmp_path):
    rc = main([str(ROOT / "fixtures" / "tree"), "-o", str(tmp_path / "new"), "-q", "-j", "1",
               "--report", str(tmp_path / "r.json"), "--report-md", str(tmp_path / "r.md")])
    assert rc == 0
    files = json.loads((tmp_path / "r.json").read_text())["files"]
    md = (tmp_path / "r.md").read_text()
    n_conv = sum(f["status"] == "converted" for f in files)
    assert f"| files | {len(files)} |" in md and f"| converted | {n_conv} |" in md
    assert f"### Files changed ({n_conv})" in md
    rows = [ln for ln in md.splitlines() if ln.startswith(f"| `{tmp_path / 'new'}/")]
    assert len(rows) == n_conv                               # one row per changed file
    assert "while warmup overlaps a schedule with a minimum value" in md
