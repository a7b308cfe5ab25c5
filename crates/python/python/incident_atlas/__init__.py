"""Incident Atlas's encoders for Python: the app's own models, run where the data lives.

    from incident_atlas import Encoder
    encoder = Encoder("/Volumes/models/all-MiniLM-L6-v2", threads=2)
    vectors = encoder.encode(["Patient fell in the bathroom.", ...])  # float32 (n, d)

The vectors equal those `incident-atlas encode` stores for the same model folder and text;
`incident_text` makes that text from a report's fields as the app does; `Assigner` places
vectors into a cluster run exported with `incident-atlas run export`, as the desktop's
`assign` does. `write_index_shard` and `write_index_manifest` write the index folder the
desktop adopts with `incident-atlas vectors import-index`.
"""

from ._native import (SHARD_ROWS, Assigner, AtlasError, Encoder, __version__, incident_text,
                      write_index_manifest, write_index_shard)

__all__ = ["Assigner", "AtlasError", "Encoder", "incident_text", "write_index_shard", "write_index_manifest",
           "SHARD_ROWS", "__version__"]
