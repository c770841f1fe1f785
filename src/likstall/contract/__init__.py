"""The import contract: tables, columns, aliases, code lists and their JSON Schema."""

from .columns import AGE_BANDS, LOAD_ORDER, TABLES, Column, Table
from .schema import contract_schema

__all__ = ["AGE_BANDS", "LOAD_ORDER", "TABLES", "Column", "Table", "contract_schema"]
