"""A YAML file that does not parse, as one line: the file, the line, PyYAML's short problem.

PyYAML's own text is a multi-line report (context, problem, each with a quoted excerpt and a
caret); an operator needs where and what, on one line, as every other mistake is reported.
"""

from __future__ import annotations

import yaml

from engine.errors import CatalogueError


def yaml_error(source: str, exc: yaml.YAMLError) -> CatalogueError:
    """``catalogue/x.yaml:12: not valid YAML: expected ',' or ']', but got ':'``."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{source}:{mark.line + 1}" if mark is not None else source
    problem = getattr(exc, "problem", None) or "cannot be read"
    context = getattr(exc, "context", None)
    # "expected a single document …, but found another document" needs its context to make
    # sense; "while parsing a flow sequence" adds nothing the line number does not say.
    if context and not context.startswith("while "):
        problem = f"{context}, {problem}"
    return CatalogueError(f"{where}: not valid YAML: {problem}")
