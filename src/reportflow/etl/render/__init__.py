"""Renderers: one writer class per output format, chosen by ``OutputFormat``."""

from reportflow.etl.render import html, simple, xlsx
from reportflow.etl.render.base import WRITERS, RenderContext, Writer, register_writer

__all__ = ["WRITERS", "RenderContext", "Writer", "html", "register_writer", "simple", "xlsx"]
