"""Where log objects come from. Each source yields `LogObject`s; the reader turns them into records.

`open_source(uri, options)` chooses the source by the URI (registry.py). Sources know nothing of
the ingester, the stores, the config or the rules: they only yield objects.
"""

from tattletrail.sources.base import LogObject, SourceError
from tattletrail.sources.local import local_objects
from tattletrail.sources.registry import SourceOptions, open_source

__all__ = ["LogObject", "SourceError", "SourceOptions", "local_objects", "open_source"]
