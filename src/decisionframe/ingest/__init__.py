"""Import: read, map, validate, pseudonymize and load the organization's exports."""

from decisionframe.ingest.load import ImportResult, TableImport, import_sources
from decisionframe.ingest.pseudonymize import PseudonymKey, load_or_create_key

__all__ = ["ImportResult", "PseudonymKey", "TableImport", "import_sources", "load_or_create_key"]
