"""Logging (MMEngine's `mmengine.logging`): MMLogger/print_log, MessageHub, HistoryBuffer; plus the
ManagerMixin (from runtime.utils) behind their global instances and a terminal ProgressBar."""
from .history_buffer import HistoryBuffer
from .logger import MMLogger, print_log
from runtime.utils.manager import ManagerMixin
from .message_hub import MessageHub
from .progress import ProgressBar

__all__ = ["HistoryBuffer", "MMLogger", "print_log", "ManagerMixin", "MessageHub", "ProgressBar"]
