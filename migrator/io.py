"""File I/O for the compiler: reading sources, and writing outputs all-or-nothing.

Reading (`read_source`): bytes are decoded as Python would (a PEP 263 coding cookie or a BOM is
honoured, UTF-8 otherwise); an undecodable file is a MigrateError naming the file and line. The
text is handed on with `\\n` line endings; the file's own line ending (CRLF or LF) and encoding are
kept in `SourceText` so outputs are written the same way.

Writing (`Transaction`): every output of a run is first staged in a journal directory outside the
user's tree, on the same filesystem as the targets (under the system temp dir when it is on that
filesystem, else beside the tree's root directory). Once everything is staged and checked, a
manifest is written atomically (the commit point) and the staged files are renamed onto their
targets. Killed before the commit point, the user's files are untouched and the next run removes
the journal; killed after it, the next run (`recover`) finishes the renames first. A journal
directory is locked (flock) by the process that owns it, so a live run is never disturbed.
New files get the umask's mode; replaced files keep theirs.
"""
from __future__ import annotations

import array
import fcntl
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from .errors import MigrateError

JOURNAL_HOME = "mmmigrate-journals"
MANIFEST = "manifest.json"


# --------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class SourceText:
    text: str                     # "\n" line endings
    encoding: str = "utf-8"
    newline: str = "\n"
    bom: bool = False

    def encode(self, text: str) -> bytes:
        """`text` (with "\\n" endings) in this source's encoding and line endings."""
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        data = text.encode(self.encoding)
        return (b"\xef\xbb\xbf" + data) if self.bom else data


UTF8 = SourceText("")


def _os_error(path, exc: OSError, what: str = "cannot read") -> MigrateError:
    return MigrateError(f"{what}: {exc.strerror or exc}", file=str(path))


def read_source(path) -> SourceText:
    """Read a config file (see the module docstring). Raises MigrateError."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except IsADirectoryError:
        raise MigrateError("is a directory, not a config file", file=str(path)) from None
    except OSError as exc:
        raise _os_error(path, exc) from None
    return decode_source(data, str(path))


def decode_source(data: bytes, path: str) -> SourceText:
    encoding = "utf-8"
    if path.endswith(".py"):
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:          # unknown or inconsistent coding cookie
            raise MigrateError(f"bad encoding declaration: {exc.msg if hasattr(exc, 'msg') else exc}",
                               file=path, line=getattr(exc, "lineno", None)) from None
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        line = body[:exc.start].count(b"\n") + 1
        raise MigrateError(
            f"not valid {encoding} text (byte 0x{body[exc.start]:02x}); MMCV and MMEngine read "
            f"configs as UTF-8: save the file as UTF-8 (or declare its encoding with a "
            f"'# -*- coding: NAME -*-' line)", file=path, line=line) from None
    first = text.find("\n")
    newline = "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"
    text = text.replace("\r\n", "\n")
    return SourceText(text, encoding, newline, bom)


def read_text(path) -> str:
    return read_source(path).text


def walk_configs(root: Path, suffixes: Tuple[str, ...] = (".py",)) -> Iterator[Path]:
    """Config files under `root`, sorted, skipping dot-directories and dot-files. Symlinked
    directories are followed once (a symlink loop is visited once, never endlessly)."""
    seen = set()

    def visit(d: Path) -> Iterator[Path]:
        try:
            st = d.stat()
        except OSError:
            return
        if (st.st_dev, st.st_ino) in seen:
            return
        seen.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            return
        for e in entries:
            if e.name.startswith("."):
                continue
            p = d / e.name
            try:
                is_dir = e.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                yield from visit(p)
            elif e.name.endswith(suffixes):
                yield p      # may be a broken or looping symlink: reported when read
    yield from visit(root)


# --------------------------------------------------------------------------- checks
def nearest_existing(path: Path) -> Path:
    p = Path(os.path.abspath(path))
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_dir_writable(path: Path, what: str) -> None:
    """`path` is (or can be created as) a writable directory. Raises MigrateError."""
    p = Path(os.path.abspath(path))
    anc = p
    while not os.path.lexists(anc) and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        raise MigrateError(f"{what}: {anc} is not a directory", file=str(path))
    if not os.access(anc, os.W_OK | os.X_OK):
        raise MigrateError(f"{what}: permission denied (cannot write in {anc})", file=str(path))


def check_file_writable(path: Path, what: str) -> None:
    p = Path(os.path.abspath(path))
    if p.is_dir():
        raise MigrateError(f"{what}: is a directory", file=str(path))
    if p.exists():
        if not os.access(p.parent, os.W_OK | os.X_OK):
            raise MigrateError(f"{what}: permission denied (cannot replace a file in {p.parent})",
                               file=str(path))
    else:
        check_dir_writable(p.parent, what)


FS_IOC_GETFLAGS, LOCKED_FLAGS = 0x80086601, 0x10 | 0x20     # immutable, append-only


def _locked(path) -> bool:
    """The file or directory has the immutable or append-only attribute (`chattr +i`/`+a`):
    even root cannot replace it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        buf = array.array("l", [0])
        fcntl.ioctl(fd, FS_IOC_GETFLAGS, buf)
        return bool(buf[0] & LOCKED_FLAGS)
    except OSError:
        return False
    finally:
        os.close(fd)


def check_target(target: Path) -> None:
    """`target` can be replaced (or created) by a rename. Raises MigrateError."""
    if target.is_dir():
        raise MigrateError("cannot write the output: a directory is in the way", file=str(target))
    if target.exists() and _locked(target):
        raise MigrateError("cannot replace the file: it is immutable or append-only (chattr)",
                           file=str(target))
    parent = nearest_existing(target.parent)
    if not parent.is_dir():
        raise MigrateError(f"cannot write the output: {parent} is not a directory", file=str(target))
    if _locked(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise MigrateError(f"cannot write the output: {parent} is not writable", file=str(target))


def _sha(data: Optional[bytes]) -> Optional[str]:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _file_sha(path: Path) -> Optional[str]:
    try:
        return _sha(Path(path).read_bytes())
    except FileNotFoundError:
        return None


# --------------------------------------------------------------------------- journal
def journal_homes(anchor: Path) -> List[Path]:
    """Where journals for targets under `anchor` may live (first one on the same filesystem)."""
    anchor = nearest_existing(anchor)
    dev = anchor.stat().st_dev
    tmp = Path(tempfile.gettempdir())
    out = []
    if nearest_existing(tmp).stat().st_dev == dev:
        out.append(tmp / JOURNAL_HOME)
    root = anchor if anchor.is_dir() else anchor.parent
    out.append(root.parent / f".{JOURNAL_HOME}")
    return out


def _try_lock(path: Path):
    """An exclusive lock on `path` if nobody holds it, else None."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def recover(anchors: Sequence[Path], log=None) -> List[str]:
    """Finish or discard what interrupted runs left: journals of dead processes only, and of
    those with a committed manifest only the ones that write under `anchors`.
    Returns the targets whose commit was finished. Raises MigrateError when a target changed
    since the interrupted run (then nothing is touched and the message says how to recover)."""
    finished: List[str] = []
    homes = []
    for a in anchors:
        for h in journal_homes(a):
            if h not in homes:
                homes.append(h)
    for home in homes:
        if not home.is_dir():
            continue
        for j in sorted(home.iterdir()):
            if j.name.startswith(".trash-"):
                shutil.rmtree(j, ignore_errors=True)
                continue
            lock = j / "lock"
            fd = _try_lock(lock)
            if fd is None:
                try:        # died before creating its lock (a live run creates it at once)
                    if not lock.exists() and time.time() - j.stat().st_mtime > 60:
                        shutil.rmtree(j, ignore_errors=True)
                except OSError:
                    pass
                continue                                    # a live run owns it
            try:
                if (j / MANIFEST).exists():
                    if not _concerns(j, anchors):
                        continue            # another tree's: finished by a run over that tree
                    finished += _roll_forward(j, log)
                _discard(j)
            finally:
                os.close(fd)
    return finished


def _discard(j: Path) -> None:
    """Remove a journal: renamed away first (atomic), so a kill during the removal leaves only
    a `.trash-*` directory, which any later run deletes."""
    trash = j.parent / f".trash-{j.name}"
    try:
        os.rename(j, trash)
    except OSError:
        trash = j
    shutil.rmtree(trash, ignore_errors=True)


def _concerns(j: Path, anchors: Sequence[Path]) -> bool:
    """A committed journal writes under one of `anchors` (directories or files)."""
    roots = [os.path.realpath(a) for a in anchors]
    try:
        entries = json.loads((j / MANIFEST).read_text())["entries"]
    except (OSError, ValueError, KeyError):
        return False
    return any(os.path.commonpath([e["target"], r]) == r for e in entries for r in roots)


def _roll_forward(j: Path, log=None) -> List[str]:
    entries = json.loads((j / MANIFEST).read_text())["entries"]
    changed = []
    for e in entries:
        if (j / "files" / e["staged"]).exists():
            now = _file_sha(Path(e["target"]))
            if now not in (e["old"], e["new"]):
                changed.append(e["target"])
    if changed:
        raise MigrateError(
            f"an interrupted `migrate` run left its journal at {j}, and {len(changed)} of its "
            f"files changed since (e.g. {changed[0]}). To finish that run anyway, move them "
            f"aside and rerun; to abandon it (the tree may then be partly converted: restore it "
            f"from version control), delete {j}", file=changed[0])
    done = []
    for e in entries:
        staged = j / "files" / e["staged"]
        if staged.exists():
            target = Path(e["target"])
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
            done.append(e["target"])
    for d in {str(Path(e["target"]).parent) for e in entries}:
        _fsync_dir(d)
    if log and done:
        log(f"migrate: finished the interrupted run of {j.name}: {len(done)} files renamed into place")
    return done


def _fsync_dir(d) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Transaction:
    """Stage outputs, then commit them all with renames (see the module docstring)."""

    def __init__(self, anchor: Path):
        anchor = Path(os.path.abspath(anchor))
        self.dev = nearest_existing(anchor).stat().st_dev
        last: Optional[OSError] = None
        for home in journal_homes(anchor):
            try:
                home.mkdir(parents=True, exist_ok=True)
                self.dir = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=home))
                break
            except OSError as exc:
                last = exc
        else:
            raise MigrateError(f"cannot create a journal directory: {last}", file=str(anchor))
        (self.dir / "lock").touch()
        self._lock = os.open(self.dir / "lock", os.O_RDWR)
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        (self.dir / "files").mkdir()
        self.stage = self.dir / "stage"          # scratch space of the conversion
        self.stage.mkdir()
        self.entries: List[Dict] = []
        self.targets: Dict[str, int] = {}

    def add(self, target: Path, data: bytes) -> None:
        """Stage `data` for `target` (fsynced; the mode the target will have)."""
        target = Path(os.path.abspath(target))
        if str(target) in self.targets:
            raise MigrateError("two outputs would be written to this file", file=str(target))
        if nearest_existing(target.parent).stat().st_dev != self.dev:
            raise MigrateError("cannot write atomically across filesystems (the output is on "
                               "another filesystem than the rest of the run)", file=str(target))
        check_target(target)
        name = str(len(self.entries))
        staged = self.dir / "files" / name
        old: Optional[bytes] = None
        mode = None
        if target.is_file():
            old = target.read_bytes()
            mode = target.stat().st_mode & 0o7777
            (self.dir / "orig").mkdir(exist_ok=True)
            (self.dir / "orig" / name).write_bytes(old)     # to undo a failed commit
            os.chmod(self.dir / "orig" / name, mode)
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)   # umask applies
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise MigrateError(f"cannot stage the output: {exc.strerror}", file=str(target)) from None
        if mode is not None:
            os.chmod(staged, mode)
        self.targets[str(target)] = len(self.entries)
        self.entries.append({"target": str(target), "staged": name, "old": _sha(old),
                             "new": _sha(data)})

    def commit(self, log=None) -> None:
        """The point of no return: write the manifest, then rename every staged file."""
        if self.entries:
            self.seal()
            try:
                _roll_forward(self.dir, log)
            except OSError as exc:
                self._undo()
                raise MigrateError(f"cannot write the output ({exc.strerror}): every file was "
                                   f"restored, nothing was changed",
                                   file=exc.filename or exc.filename2) from None
        self.close()

    def seal(self) -> None:
        """Write the manifest atomically: from here on, the commit is decided."""
        tmp = self.dir / (MANIFEST + ".tmp")
        with open(tmp, "w") as fh:
            json.dump({"entries": self.entries}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.dir / MANIFEST)
        _fsync_dir(self.dir)

    def _undo(self) -> None:
        """After a failed rename: put back what the commit replaced (an error, not a kill)."""
        os.unlink(self.dir / MANIFEST)
        for e in self.entries:
            if (self.dir / "files" / e["staged"]).exists():
                continue                        # not renamed yet
            backup = self.dir / "orig" / e["staged"]
            if backup.exists():
                os.replace(backup, e["target"])
            elif os.path.exists(e["target"]):
                os.unlink(e["target"])

    def close(self) -> None:
        """Discard what is not committed (everything, before `commit`)."""
        if getattr(self, "_lock", None) is not None:
            _discard(self.dir)
            os.close(self._lock)
            self._lock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def atomic_write(path, text: str) -> None:
    """Write one text file all-or-nothing (a one-entry `Transaction`): readers see either the
    old file or the whole new one. Raises MigrateError naming the file."""
    with Transaction(Path(path).parent) as txn:
        txn.add(Path(path), text.encode("utf-8"))
        txn.commit()
