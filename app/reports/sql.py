"""SQL pieces the reports need that the two databases spell differently."""

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class hours_between(FunctionElement[float]):  # noqa: N801  (reads as the SQL function it is)
    """hours_between(later, earlier): elapsed hours as a float."""

    type = Float()
    inherit_cache = True


@compiles(hours_between)
def _postgresql(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 3600.0)"


@compiles(hours_between, "sqlite")
def _sqlite(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 24.0)"
