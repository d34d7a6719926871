"""Read the records of a wandb offline run file (`offline-run-*/run-*.wandb`).

wandb 0.31 writes them in LevelDB's log format (its own docs: "the transaction log"): a 7-byte
file header (`:W&B`, magic 0xBEE1 little-endian, version), then 32 KiB blocks of chunks, each
chunk a 7-byte header (crc32c: 4 bytes, length: 2 bytes, type: 1 byte; FULL=1, FIRST=2,
MIDDLE=3, LAST=4) and its payload; a record is one FULL chunk or FIRST..MIDDLE*..LAST, and
holds a serialised `wandb.proto.wandb_internal_pb2.Record`. wandb 0.31 no longer ships the
reader (`wandb.sdk.internal.datastore`), so this is ours; the crc is not checked.

`records(path)` -> [(kind, message)]; `history(path)` -> [(step, {key: value})] of the
`wandb.log` calls; `artifacts(path)` -> [(name, type, sorted aliases, sorted paths in the manifest)].
"""
from __future__ import annotations

import glob
import json
import struct
from pathlib import Path

_BLOCK = 32768
_HEADER = 7


def _payloads(data: bytes):
    assert data[:4] == b":W&B", data[:8]
    pos, parts = _HEADER, []
    while pos + _HEADER <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < _HEADER:                 # a block's tail too short for a header: padding
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos:pos + _HEADER])
        pos += _HEADER
        if kind == 0 and length == 0:      # zero padding
            pos += left - _HEADER
            continue
        if pos + length > len(data):       # a chunk still being written
            return
        chunk = data[pos:pos + length]
        pos += length
        if kind == 1:
            yield chunk
        elif kind == 2:
            parts = [chunk]
        elif kind == 3:
            parts.append(chunk)
        elif kind == 4:
            parts.append(chunk)
            yield b"".join(parts)
            parts = []
        else:
            raise ValueError(f"bad chunk type {kind} at {pos}")


def run_file(wandb_dir, timeout: float = 60.0) -> Path:
    """The one offline run file under WANDB_DIR, once wandb's service has written its `exit`
    record (wandb.finish() returns before the service has flushed the file)."""
    import time
    files = sorted(glob.glob(str(Path(wandb_dir) / "wandb" / "offline-run-*" / "run-*.wandb")))
    assert len(files) == 1, files
    deadline = time.monotonic() + timeout
    while "exit" not in kinds(files[0]):
        assert time.monotonic() < deadline, f"{files[0]}: no exit record after {timeout} s"
        time.sleep(0.2)
    return Path(files[0])


def records(path):
    from wandb.proto import wandb_internal_pb2 as pb
    out = []
    data = Path(path).read_bytes()
    if len(data) < _HEADER:                # the service has not written the header yet
        return out
    for payload in _payloads(data):
        r = pb.Record()
        r.ParseFromString(payload)
        out.append((r.WhichOneof("record_type"), r))
    return out


def history(path):
    out = []
    for kind, r in records(path):
        if kind == "history":
            row = {(i.key or "/".join(i.nested_key)): json.loads(i.value_json)
                   for i in r.history.item}
            out.append((r.history.step.num, {k: v for k, v in row.items()
                                             if not k.startswith("_")}))
    return out


def artifacts(path):
    return [(r.artifact.name, r.artifact.type, sorted(r.artifact.aliases),
             sorted(e.path for e in r.artifact.manifest.contents))
            for kind, r in records(path) if kind == "artifact"]


def kinds(path):
    return [k for k, _ in records(path)]
