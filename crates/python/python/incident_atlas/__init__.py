"""Incident Atlas's encoders for Python: the app's own models, run where the data lives.

    from incident_atlas import Encoder
    encoder = Encoder("/Volumes/models/all-MiniLM-L6-v2", threads=2)
    vectors = encoder.encode(["Patient fell in the bathroom.", ...])  # float32 (n, d)

The vectors equal those `incident-atlas encode` stores for the same model folder and text;
`incident_text` makes that text from a report's fields as the app does.
"""

from ._native import AtlasError, Encoder, __version__, incident_text

__all__ = ["AtlasError", "Encoder", "incident_text", "__version__"]
