"""reportflow.artifacts: where finished outputs live."""

from reportflow.artifacts.base import Artifact, ArtifactStore
from reportflow.artifacts.factory import open_store
from reportflow.artifacts.keys import artifact_key
from reportflow.artifacts.local import LocalArtifactStore
from reportflow.artifacts.memory import MemoryArtifactStore

__all__ = [
    "Artifact",
    "ArtifactStore",
    "LocalArtifactStore",
    "MemoryArtifactStore",
    "artifact_key",
    "open_store",
]
