"""`mmrun`: train/test entry point for MMEngine-style configs on the bundled runtime.

MMCV 1.x: each downstream repo's tools/train.py built model and datasets itself and called
`train_detector`/`runner.run(workflow)`, with `--resume-from`, `--no-validate`, `--gpus`.
MMEngine-era tools/train.py and tools/test.py (what this mirrors): load the Config, apply
`--cfg-options`, pick `work_dir` (CLI > config > ./work_dirs/<config name>), `--amp` switches the
optimizer wrapper to `AmpOptimWrapper(loss_scale='dynamic')`, `--resume` alone means auto-resume
(`resume=True`, `load_from=None`), `--resume CKPT` means `load_from=CKPT, resume=True`; then build
`RUNNERS.build(cfg)` when `runner_type` is set, else `Runner.from_cfg(cfg)`, and call
`.train()` / `.test()` (test sets `load_from` to the checkpoint). The Runner dumps the config into
its work_dir.

Subcommands live in `SUBCOMMANDS` (name -> (help, "module:setup")); `setup(parser)` adds the
subcommand's arguments and returns the function that runs it with the parsed args. New commands
(e.g. `dry-run`) are added there; only the chosen command's work is done.
"""
from __future__ import annotations

import argparse
import importlib
import os
import os.path as osp
import sys
from typing import Callable, Dict, List, Optional, Tuple

SUBCOMMANDS: Dict[str, Tuple[str, str]] = {
    "train": ("train a model from a config", "runtime.cli:setup_train"),
    "test": ("evaluate a checkpoint with a config's test loop", "runtime.cli:setup_test"),
    "dry-run": ("trace lr/momentum/validation/checkpoints of a config without data or model",
                "runtime.dryrun:setup_dryrun"),
}


# top-level fields only MMCV 1.x configs have (MMEngine renamed every one of them)
MMCV1_ONLY = ("lr_config", "optimizer_config", "runner", "total_epochs", "workflow",
              "checkpoint_config", "log_config", "momentum_config")


class CLIError(Exception):
    """A user error reported as `mmrun: error: ...` with exit status 2."""


def _add_common(parser: argparse.ArgumentParser) -> None:
    from runtime.config import DictAction
    parser.add_argument("--work-dir", help="directory for logs and checkpoints")
    parser.add_argument(
        "--cfg-options", nargs="+", action=DictAction, metavar="KEY=VALUE",
        help="override config entries, e.g. model.backbone.depth=18 "
             "train_dataloader.batch_size=4 'param_scheduler.0.milestones=[8,11]'")
    parser.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"],
                        default="none", help="job launcher")
    parser.add_argument("--local_rank", "--local-rank", type=int, default=0,
                        help="rank on this node (set by torch.distributed.launch)")


def load_config(args: argparse.Namespace):
    """Config with the CLI overrides shared by train and test applied (launcher, options,
    work_dir)."""
    from runtime.config import Config, ConfigParsingError
    if "LOCAL_RANK" not in os.environ:
        os.environ["LOCAL_RANK"] = str(args.local_rank)
    try:
        cfg = Config.fromfile(args.config)
    except (FileNotFoundError, SyntaxError, ConfigParsingError) as e:
        raise CLIError(str(e)) from e
    old = [k for k in MMCV1_ONLY if k in cfg]
    if old and not any(k in cfg for k in ("train_cfg", "optim_wrapper", "param_scheduler")):
        raise CLIError(f"{args.config}: this is an MMCV 1.x config ({', '.join(old)}): run "
                       f"`migrate {args.config} -o OUT_DIR/` first and give mmrun the result")
    cfg.launcher = args.launcher
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get("work_dir", None) is None:
        cfg.work_dir = osp.join("./work_dirs", osp.splitext(osp.basename(args.config))[0])
    return cfg


def build_runner(cfg):
    """`RUNNERS.build(cfg)` for a custom `runner_type`, otherwise `Runner.from_cfg(cfg)`."""
    if "runner_type" in cfg:
        from runtime.registry import RUNNERS
        return RUNNERS.build(cfg)
    from runtime.runner import Runner
    return Runner.from_cfg(cfg)


# --- train -------------------------------------------------------------------------------------
def setup_train(parser: argparse.ArgumentParser) -> Callable:
    parser.add_argument("config", help="train config file")
    parser.add_argument("--resume", nargs="?", type=str, const="auto",
                        help="resume from CKPT, or without a value from the latest checkpoint "
                             "in the work_dir")
    parser.add_argument("--amp", action="store_true", help="mixed-precision training")
    parser.add_argument("--auto-scale-lr", action="store_true",
                        help="scale the LR by the actual/base batch size (auto_scale_lr)")
    _add_common(parser)
    return run_train


def prepare_train_cfg(args: argparse.Namespace):
    cfg = load_config(args)
    if args.amp:
        ow = cfg.get("optim_wrapper")
        if not isinstance(ow, dict):
            raise CLIError("--amp needs an `optim_wrapper` dict in the config")
        ow_type = ow.get("type", "OptimWrapper")
        if ow_type == "AmpOptimWrapper":
            print("mmrun: AmpOptimWrapper is already set in the config; --amp changes nothing",
                  file=sys.stderr)
        elif ow_type != "OptimWrapper":
            raise CLIError(f"--amp only replaces `OptimWrapper`, but optim_wrapper.type is "
                           f"{ow_type!r}")
        else:
            ow.type = "AmpOptimWrapper"
            ow.setdefault("loss_scale", "dynamic")
    if args.auto_scale_lr:
        asl = cfg.get("auto_scale_lr")
        if not isinstance(asl, dict) or "enable" not in asl or "base_batch_size" not in asl:
            raise CLIError("--auto-scale-lr needs `auto_scale_lr = dict(enable=..., "
                           "base_batch_size=...)` in the config")
        asl.enable = True
    if args.resume == "auto":
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def run_train(args: argparse.Namespace) -> int:
    runner = build_runner(prepare_train_cfg(args))
    runner.train()
    return 0


# --- test --------------------------------------------------------------------------------------
def setup_test(parser: argparse.ArgumentParser) -> Callable:
    parser.add_argument("config", help="test config file")
    parser.add_argument("checkpoint", help="checkpoint file to evaluate")
    _add_common(parser)
    return run_test


def prepare_test_cfg(args: argparse.Namespace):
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    return cfg


def run_test(args: argparse.Namespace) -> int:
    runner = build_runner(prepare_test_cfg(args))
    metrics = runner.test()
    if metrics:
        print(" ".join(f"{k}: {v}" for k, v in metrics.items()))
    return 0


# --- entry -------------------------------------------------------------------------------------
def _load(ref: str) -> Callable:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def build_parser() -> Tuple[argparse.ArgumentParser, Dict[str, Callable]]:
    from runtime import __version__
    parser = argparse.ArgumentParser(prog="mmrun", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"mmrun (mmmigrate) {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    runners: Dict[str, Callable] = {}
    for name, (help_text, ref) in SUBCOMMANDS.items():
        runners[name] = _load(ref)(sub.add_parser(name, help=help_text, description=help_text))
    return parser, runners


def main(argv: Optional[List[str]] = None) -> int:
    parser, runners = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(runners[args.command](args) or 0)
    except CLIError as e:
        print(f"mmrun: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":           # `python -m runtime.cli`: one module, one CLIError class
    from runtime.cli import main as _main
    sys.exit(_main())
