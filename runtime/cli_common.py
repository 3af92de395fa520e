"""What every `liaison` sub-command shares: how a refusal is printed."""

from __future__ import annotations

import json

import typer
from pydantic import ValidationError


def fail(message: str) -> typer.Exit:
    """Print `{"error": message}` on stderr; raise the answer to exit 1."""
    typer.echo(json.dumps({"error": message}), err=True)
    return typer.Exit(code=1)


def validation_message(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
