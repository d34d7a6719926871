"""Global loggers (MMEngine's `mmengine.logging.MMLogger` and `print_log`).

MMCV 1.x: `get_logger(name, log_file, log_level)` / `get_root_logger` configured a stdlib logger
with a console handler and, on rank 0, a file handler at `work_dir/<timestamp>.log`.
MMEngine: `MMLogger.get_instance(name, log_file=..., log_level=..., file_mode=...)` returns a
named global logger (the Runner passes `<work_dir>/<timestamp>/<timestamp>.log`); console output
is INFO+ on rank 0 and ERROR-only elsewhere, the file is written on rank 0 (or on every rank with a
per-rank file name `<stem>_<user@host>_device<local_rank>_rank<rank>.log` when
`distributed=True` or at DEBUG level), repeated warnings are shown once.
Line format: `<date time> - <logger name> - <LEVEL> - <message>`.
`print_log(msg, logger)` routes to print (None), a Logger object, 'silent', 'current' (the
latest MMLogger) or a named MMLogger.
"""
from __future__ import annotations

import logging
import os
import os.path as osp
import sys
import time
from typing import Optional, Union

from runtime.utils.manager import ManagerMixin


def _rank_and_world() -> tuple:
    """(rank, world_size) without importing torch unless it is already loaded."""
    tdist = sys.modules.get("torch.distributed")
    if tdist is not None and tdist.is_available() and tdist.is_initialized():
        return tdist.get_rank(), tdist.get_world_size()
    return 0, 1


def _host() -> str:
    import getpass
    import socket
    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except Exception:
        return "unknown"


class _DropRepeatedWarnings(logging.Filter):
    """Let each distinct WARNING message through only once."""

    def __init__(self, name: str = "mmengine"):
        super().__init__(name)
        self.seen: set = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING:
            return True
        if record.msg in self.seen:
            return False
        self.seen.add(record.msg)
        return True


class _Formatter(logging.Formatter):
    """`time - name - LEVEL - message`; errors also carry the source location."""

    _PLAIN = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
    _ERROR = "%(asctime)s - %(name)s - %(levelname)s - %(pathname)s - %(funcName)s - " \
             "%(lineno)d - %(message)s"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._styles = (logging.PercentStyle(self._PLAIN), logging.PercentStyle(self._ERROR))
        self._time_cache = (None, None)

    def format(self, record: logging.LogRecord) -> str:
        self._style = self._styles[record.levelno >= logging.ERROR]
        self._fmt = self._style._fmt
        return super().format(record)

    def format_plain(self, created: float, name: str, levelname: str, message: str) -> str:
        """`format()` of a record below ERROR without exception/stack info, from its parts."""
        if type(self).formatTime is not _Formatter.formatTime or self.datefmt is None:
            record = logging.makeLogRecord(dict(created=created, name=name, msg=message,
                                                levelname=levelname, levelno=logging.INFO))
            asctime = self.formatTime(record, self.datefmt)
        else:
            asctime = self._cached_time(created, self.datefmt)
        return f"{asctime} - {name} - {levelname} - {message}"

    def _cached_time(self, created: float, datefmt: str) -> str:
        key = (int(created), datefmt, self.converter)
        cached_key, text = self._time_cache
        if cached_key != key:
            text = time.strftime(datefmt, self.converter(created))
            self._time_cache = (key, text)
        return text

    def formatTime(self, record: logging.LogRecord, datefmt: Optional[str] = None) -> str:
        # the date string only changes once a second: reuse it within the same second
        if datefmt is None:
            return super().formatTime(record, datefmt)
        return self._cached_time(record.created, datefmt)


class MMLogger(logging.Logger, ManagerMixin):
    """A stdlib Logger that is also a named global instance."""

    def __init__(self, name: str, logger_name: str = "mmengine", log_file: Optional[str] = None,
                 log_level: Union[int, str] = "INFO", file_mode: str = "w",
                 distributed: bool = False, file_handler_cfg: Optional[dict] = None):
        logging.Logger.__init__(self, logger_name)
        ManagerMixin.__init__(self, name)
        if isinstance(log_level, str):
            log_level = logging._nameToLevel[log_level.upper()]
        rank, world_size = _rank_and_world()
        console = logging.StreamHandler(stream=sys.stdout)
        console.setFormatter(_Formatter(datefmt="%m/%d %H:%M:%S"))
        console.setLevel(log_level if rank == 0 else logging.ERROR)
        console.addFilter(_DropRepeatedWarnings(logger_name))
        self.handlers.append(console)
        if log_file is not None:
            per_rank = (log_level <= logging.DEBUG or distributed) and world_size > 1
            if per_rank:
                stem, suffix = osp.splitext(osp.basename(log_file))
                log_file = osp.join(osp.dirname(log_file),
                                    f"{stem}_{_host()}_device{os.environ.get('LOCAL_RANK', '0')}"
                                    f"_rank{rank}{suffix}")
            if rank == 0 or per_rank:
                if osp.dirname(log_file):
                    os.makedirs(osp.dirname(log_file), exist_ok=True)
                if file_handler_cfg is not None:
                    cfg = dict(file_handler_cfg)
                    import logging.handlers as lh
                    kind = cfg.pop("type")
                    handler_cls = getattr(lh, kind, None) or getattr(logging, kind, None)
                    if not (isinstance(handler_cls, type)
                            and issubclass(handler_cls, logging.FileHandler)):
                        raise ValueError(f"`logging.handlers` has no file handler {kind!r}")
                    cfg.setdefault("filename", log_file)
                    file_handler = handler_cls(**cfg)
                else:
                    file_handler = logging.FileHandler(log_file, file_mode)
                file_handler.setFormatter(_Formatter(datefmt="%Y/%m/%d %H:%M:%S"))
                file_handler.setLevel(log_level)
                file_handler.addFilter(_DropRepeatedWarnings(logger_name))
                self.handlers.append(file_handler)
        self._log_file = log_file

    @property
    def log_file(self) -> Optional[str]:
        return self._log_file

    @classmethod
    def get_current_instance(cls) -> "MMLogger":
        """The latest MMLogger; creates a default one named 'mmengine' if none exists."""
        if not cls._instance_dict:
            cls.get_instance("mmengine")
        return super().get_current_instance()

    def _log(self, level, msg, args, exc_info=None, extra=None, stack_info=False,
             stacklevel=1) -> None:
        # Fast path for the plain INFO/DEBUG lines the runner prints every few iterations: when
        # the logger still has exactly the handlers/formatters/filters built above, write the
        # same text the stdlib machinery would (LogRecord -> filters -> format -> write + flush)
        # without building a record. Anything unusual takes the stdlib path.
        if level < logging.WARNING and not args and exc_info is None and extra is None \
                and not stack_info and not self.filters and self._fast_handlers_ok():
            created = time.time()
            message = str(msg)
            levelname = logging.getLevelName(level)
            for handler in self.handlers:
                if level >= handler.level:
                    line = handler.formatter.format_plain(created, self.name, levelname, message)
                    with handler.lock:
                        try:
                            handler.stream.write(line + handler.terminator)
                            handler.stream.flush()
                        except RecursionError:
                            raise
                        except Exception:
                            handler.handleError(self.makeRecord(
                                self.name, level, "(unknown file)", 0, msg, args, None))
            return
        # one more level so that findCaller skips this frame, as if stdlib _log were called
        super()._log(level, msg, args, exc_info=exc_info, extra=extra, stack_info=stack_info,
                     stacklevel=stacklevel + 1)

    def _fast_handlers_ok(self) -> bool:
        """Whether every handler is one of ours, unchanged (type, formatter, filters, stream)."""
        if logging.getLogRecordFactory() is not logging.LogRecord:
            return False
        for handler in self.handlers:
            if type(handler) not in (logging.StreamHandler, logging.FileHandler) \
                    or type(handler.formatter) is not _Formatter or handler.stream is None \
                    or len(handler.filters) != 1 \
                    or type(handler.filters[0]) is not _DropRepeatedWarnings:
                return False
        return True

    def callHandlers(self, record: logging.LogRecord) -> None:
        # Only our own handlers: never propagate to the root logger (no duplicate lines).
        for handler in self.handlers:
            if record.levelno >= handler.level:
                handler.handle(record)

    def setLevel(self, level) -> None:
        self.level = logging._checkLevel(level)
        for logger in MMLogger._instance_dict.values():
            logger._cache.clear()


def print_log(msg, logger: Optional[Union[logging.Logger, str]] = None,
              level: int = logging.INFO) -> None:
    """Print `msg` via `logger`: None -> print, 'silent' -> drop, 'current' -> latest MMLogger,
    other str -> the MMLogger of that name (must exist), Logger -> that logger."""
    if logger is None:
        print(msg)
    elif isinstance(logger, logging.Logger):
        logger.log(level, msg)
    elif logger == "silent":
        pass
    elif logger == "current":
        MMLogger.get_current_instance().log(level, msg)
    elif isinstance(logger, str):
        if not MMLogger.check_instance_created(logger):
            raise ValueError(f"MMLogger: {logger} has not been created!")
        MMLogger.get_instance(logger).log(level, msg)
    else:
        raise TypeError("logger must be a logging.Logger, a str, 'silent', 'current' or None, "
                        f"got {type(logger)}")
