"""Reading the project's YAML files: one line per problem, duplicate keys refused.

PyYAML's own text is a multi-line report (context, problem, each with a quoted excerpt and a
caret); an operator needs where and what, on one line, as every other mistake is reported.
PyYAML also accepts a key given twice in one mapping and keeps the last value: a second
``routing:`` would silently replace the whole routing table. Every YAML file the project reads
goes through ``read_yaml``, which refuses that with both lines named.
"""

from __future__ import annotations

from typing import Any

import yaml

from engine.errors import CatalogueError, CatalogueProblem

#: What PyYAML's constructors raise, besides ``YAMLError``, for a scalar its resolver or an
#: explicit tag gave a type the text does not fit: an impossible date (``2026-02-30``, read as a
#: timestamp because unquoted), ``!!int abc``, ``!!bool maybe``, ``!!float ''``,
#: ``!!timestamp soon``.
_CONSTRUCTION_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


class _Unfit(Exception):
    """A scalar that could not be constructed: the node (for its line and key path) and why."""

    def __init__(self, node: yaml.Node, reason: Exception) -> None:
        super().__init__(str(reason))
        self.node, self.reason = node, reason


class _Named:
    """Names the scalar a constructor refused, instead of letting its bare exception out."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)  # type: ignore[misc]
        except _CONSTRUCTION_ERRORS as exc:
            raise _Unfit(node, exc) from None


class _SafeLoader(_Named, yaml.SafeLoader):
    pass


_FastLoader: type[yaml.SafeLoader] = type(
    "_FastLoader", (_Named, getattr(yaml, "CSafeLoader", yaml.SafeLoader)), {}
)


def yaml_error(source: str, exc: yaml.YAMLError, text: str | None = None) -> CatalogueError:
    """``catalogue/x.yaml:12: not valid YAML: expected ',' or ']', but got ':'``."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        where = f"{source}:{mark.line + 1}"
    elif isinstance(exc, yaml.reader.ReaderError) and text is not None:
        # A character YAML does not allow (ESC, a C0 control): its position is in characters.
        before = text[: exc.position]
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        where = f"{source}:{line}:{column}"
    else:
        where = source
    if isinstance(exc, yaml.reader.ReaderError):
        character = exc.character
        shown = f"#x{character:04x}" if isinstance(character, int) else repr(character)
        problem = f"character {shown} is not allowed (a control character)"
    else:
        problem = getattr(exc, "problem", None) or "cannot be read"
    context = getattr(exc, "context", None)
    # "expected a single document …, but found another document" needs its context to make
    # sense; "while parsing a flow sequence" adds nothing the line number does not say.
    if context and not context.startswith("while "):
        problem = f"{context}, {problem}"
    return CatalogueError.listing([CatalogueProblem(where, f"not valid YAML: {problem}")])


def _key_text(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else f"<{type(node).__name__}>"


def _duplicates(
    node: yaml.Node,
    path: str,
    found: list[CatalogueProblem],
    source: str,
    seen_nodes: set[int],
) -> None:
    # An alias is the same node again: each is walked once (nested aliases would otherwise
    # make the walk exponential, the "billion laughs").
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[tuple[str, str], int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag == "tag:yaml.org,2002:merge":
                _duplicates(value, path, found, source, seen_nodes)
                continue
            name = _key_text(key)
            where = f"{path}.{name}" if path else name
            identity = (key.tag, name)
            line = key.start_mark.line + 1
            if identity in seen:
                found.append(
                    CatalogueProblem(
                        f"{source}:{line}",
                        f"duplicate key {name!r} (first at line {seen[identity]}); "
                        "give each key once",
                        where,
                    )
                )
            else:
                seen[identity] = line
            _duplicates(value, where, found, source, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _duplicates(item, f"{path}[{index}]", found, source, seen_nodes)


def read_yaml(text: str, *, source: str, fast: bool = False) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data of a one-document YAML text, or
    ``CatalogueError``: not valid YAML (file:line[:column]) or a key given twice in a mapping
    (file:line: key.path, each duplicate on its own line).

    ``fast``: libyaml when installed (the catalogue, thousands of lines); otherwise PyYAML's
    own loader, whose messages name the offending character."""
    try:
        loader = (_FastLoader if fast else _SafeLoader)(text)
    except yaml.YAMLError as exc:  # the pure-Python reader checks characters at once
        raise yaml_error(source, exc, text) from None
    try:
        root = loader.get_single_node()
        if root is not None:
            found: list[CatalogueProblem] = []
            _duplicates(root, "", found, source, set())
            if found:
                raise CatalogueError.listing(found[:20])
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise yaml_error(source, exc, text) from None
    except _Unfit as unfit:
        raise CatalogueError.listing([_unfit_problem(source, root, unfit)]) from None
    finally:
        loader.dispose()
    return root, data


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _unfit_problem(source: str, root: yaml.Node | None, unfit: _Unfit) -> CatalogueProblem:
    """``x.yaml:7: closed_dates[0]: '2026-02-30' is not a date (day is out of range …)``."""
    node = unfit.node
    value = node.value if isinstance(node, yaml.ScalarNode) else _key_text(node)
    detail = f" ({unfit.reason})" if isinstance(unfit.reason, ValueError) else ""
    if node.tag == _TIMESTAMP:
        message = (
            f"{value!r} is not a date{detail}; write a real date (YYYY-MM-DD), "
            "or put it in quotes if it is meant as text"
        )
    else:
        kind = node.tag.removeprefix("tag:yaml.org,2002:")
        message = f"{value!r} is not a valid !!{kind}{detail}"
    path = _path_to(root, node, "", set()) if root is not None else None
    return CatalogueProblem(f"{source}:{node.start_mark.line + 1}", message, path or "")


def _path_to(node: yaml.Node, target: yaml.Node, path: str, seen: set[int]) -> str | None:
    """The key path (``policies[2].targets.resolve``) of ``target`` in the tree, or None."""
    if node is target:
        return path
    if id(node) in seen:
        return None
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag == "tag:yaml.org,2002:merge":
                found = _path_to(value, target, path, seen)
            else:
                where = f"{path}.{_key_text(key)}" if path else _key_text(key)
                found = path if key is target else _path_to(value, target, where, seen)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found = _path_to(item, target, f"{path}[{index}]", seen)
            if found is not None:
                return found
    return None
