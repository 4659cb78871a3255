"""Where returns come from: each is a Source, named bytes. Files and folders today; emails and uploads are other
kinds of source, and the reader does not change for them."""

from .files import file_source, find_sources, find_workbooks
from .source import Refused, Source, from_bytes

__all__ = ["Refused", "Source", "file_source", "find_sources", "find_workbooks", "from_bytes"]
