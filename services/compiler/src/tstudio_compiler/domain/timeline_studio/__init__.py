"""Timeline Studio's `ProjectSchema` (the frontend's render contract) translated into our `Project`."""

from tstudio_compiler.domain.timeline_studio.schema_import import (
    ImportResult,
    SchemaRefused,
    SourceSize,
    import_project_schema,
)

__all__ = ["ImportResult", "SchemaRefused", "SourceSize", "import_project_schema"]
