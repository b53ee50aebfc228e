"""Optional live sync of new records between teammates over Redis Streams.

The JSON files stay the source of truth; Redis only carries events. A record written
locally is queued in an outbox (``.teamlore/.cache/sync/outbox/``) and removed from it
only after the stream accepted it, so a lost connection loses nothing. Consumers write
arriving records through the ordinary stores; ids are content-derived, so replays and
duplicates collapse into the same file.
"""

from memory_store.sync.config import SyncConfig, SyncConfigError, load_config

__all__ = ["SyncConfig", "SyncConfigError", "load_config"]
