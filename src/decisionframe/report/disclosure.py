"""Moved: the disclosure layer is ``decisionframe.disclosure`` (used by every output)."""

from decisionframe.disclosure import ProtectedTable, protect, protect_table, safe_count

__all__ = ["ProtectedTable", "protect", "protect_table", "safe_count"]
