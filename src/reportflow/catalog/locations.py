"""Reading a YAML file while remembering the line of every field.

PyYAML's ``compose`` gives the node tree with marks; we walk it once to map
each field path (``("parameters", 0, "min")``) to the 1-based line of its key,
then construct the plain Python data from the same tree. Errors found later,
by pydantic or by the checks, carry a path and look their line up here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """``("parameters", 0, "min")`` → ``parameters[0].min``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(slots=True)
class Located:
    """A parsed YAML document with the line of each field path."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    value_nodes: dict[Path, yaml.Node] = field(default_factory=dict)
    duplicates: list[tuple[Path, int]] = field(default_factory=list)

    def line(self, path: Path) -> int:
        """The line of ``path``, or of its nearest ancestor that is in the file."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), 1)

    def text_line(self, path: Path, offset: int) -> int:
        """The file line of line ``offset`` (0-based) inside the text value at ``path``.

        Exact for block scalars (``query: |``); for a one-line or quoted value
        the best we can say is the line where the value starts.
        """
        node = self.value_nodes.get(path)
        if node is None:
            return self.line(path)
        if isinstance(node, yaml.ScalarNode) and node.style == "|":
            return node.start_mark.line + 2 + offset
        return int(node.start_mark.line) + 1


def _walk(node: yaml.Node, path: Path, out: Located) -> None:
    out.value_nodes[path] = node
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            line = int(key_node.start_mark.line) + 1
            if key in seen:
                out.duplicates.append((child, line))
                continue
            seen.add(key)
            out.lines[child] = line
            _walk(value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            out.lines[child] = int(item.start_mark.line) + 1
            _walk(item, child, out)


def load_located(text: str) -> Located:
    """Parse one YAML document; ``yaml.YAMLError`` (with a mark) when it is malformed."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Located(data=None)
        located = Located(data=None, lines={(): int(node.start_mark.line) + 1})
        _walk(node, (), located)
        located.data = loader.construct_document(node)
        return located
    finally:
        loader.dispose()


def yaml_error_line(exc: yaml.YAMLError) -> int | None:
    """The 1-based line PyYAML blames, if it says."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return int(mark.line) + 1 if mark is not None else None
