"""The grammar is shared by the CLI and chat, so it may import the standard library only."""
import ast
import sys
from pathlib import Path

import cli.grammar


def test_the_grammar_imports_only_the_standard_library():
    tree = ast.parse(Path(cli.grammar.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    roots = {name.split(".")[0] for name in imported}
    assert roots and roots <= set(sys.stdlib_module_names) | {"__future__"}
