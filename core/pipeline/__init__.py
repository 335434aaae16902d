"""The ingest pipeline: validate, enrich, batch, spill, and hand rows to the store's writer."""

from core.pipeline.pipeline import Pipeline
from core.pipeline.registry import RegistryCache
from core.pipeline.spec import SPEC
from core.pipeline.stats import PipelineStats
from core.pipeline.validate import Reason
from core.store.rows import Resolution

__all__ = ["SPEC", "Pipeline", "PipelineStats", "Reason", "RegistryCache", "Resolution"]
