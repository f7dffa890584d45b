"""Where log objects come from. Each source yields `LogObject`s; the reader turns them into records."""

from tattletrail.sources.base import LogObject, SourceError
from tattletrail.sources.local import local_objects

__all__ = ["LogObject", "SourceError", "local_objects"]
