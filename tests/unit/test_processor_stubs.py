"""Static signatures: the processors' stub equals their runtime signatures (issue 18).

``src/mezzo/processors/__init__.pyi`` is generated from the parameter tables
(``python -m mezzo.processors.stubs``) so that editors complete ``threshold_db``; here it
is read back as source (:mod:`ast`) and compared with ``inspect.signature`` of the real
classes, so a table and its stub cannot drift apart. ``mezzo``'s lazy names are also
imported for type checkers, each from the module it is loaded from at run time.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import mezzo
import mezzo.processors as processors
from mezzo.processors import stubs

STUB = Path(processors.__file__).with_name("__init__.pyi")
MEZZO_INIT = Path(mezzo.__file__)


def stub_inits() -> dict[str, list[tuple[str, str, object]]]:
    """Class name -> (parameter, annotation source, default value) of its ``__init__`` in the stub."""
    out = {}
    for node in ast.parse(STUB.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.ClassDef):
            continue
        init = next(f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__")
        args = init.args
        assert not args.posonlyargs and [a.arg for a in args.args] == ["self"], node.name
        assert args.vararg is None and args.kwarg is None, node.name
        params = []
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            value = eval(compile(ast.Expression(default), "stub", "eval"), {})  # literals and float("inf")
            params.append((arg.arg, ast.unparse(arg.annotation), value))
        out[node.name] = params
    return out


def runtime_params(cls: type) -> list[tuple[str, str, object]]:
    out = []
    for p in inspect.signature(cls).parameters.values():
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, (cls.__name__, p.name)
        out.append((p.name, stubs.annotation_text(p.annotation), p.default))
    return out


def same_default(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def test_the_stub_is_what_the_tables_generate():
    assert STUB.read_text(encoding="utf-8") == stubs.render(), (
        "the processors' stub is stale: run `python -m mezzo.processors.stubs`"
    )


def test_every_table_driven_processor_has_a_stub_signature():
    want = set(stubs.processor_classes())
    assert want >= {"Compressor", "Expander", "Gate", "Ducker", "Leveler", "Limiter", "GainAutomation"}
    assert set(stub_inits()) == want


@pytest.mark.parametrize("name", sorted(stubs.processor_classes()))
def test_stub_parameters_equal_the_runtime_signature(name):
    cls = getattr(processors, name)
    stub, runtime = stub_inits()[name], runtime_params(cls)
    assert [p[0] for p in stub] == [p[0] for p in runtime], name
    for (pname, annotation, default), (_, want_annotation, want_default) in zip(stub, runtime, strict=True):
        assert annotation == want_annotation, (name, pname)
        assert same_default(default, want_default), (name, pname, default, want_default)
        assert same_default(default, cls.param_specs()[pname].default), (name, pname)  # and the table's


@pytest.mark.parametrize("name", sorted(stubs.one_call_functions()))
def test_one_call_function_signatures_equal_the_runtime_ones(name):
    node = next(
        n for n in ast.parse(STUB.read_text(encoding="utf-8")).body if isinstance(n, ast.FunctionDef) and n.name == name
    )
    runtime = inspect.signature(getattr(processors, name))
    args = node.args
    positional = [a.arg for a in args.args]
    keyword = [a.arg for a in args.kwonlyargs]
    kinds = {p.name: p.kind for p in runtime.parameters.values()}
    assert positional + keyword == list(runtime.parameters), name
    assert all(kinds[a] is inspect.Parameter.POSITIONAL_OR_KEYWORD for a in positional), name
    assert all(kinds[a] is inspect.Parameter.KEYWORD_ONLY for a in keyword), name
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        want = runtime.parameters[arg.arg]
        assert ast.unparse(arg.annotation) == stubs.annotation_text(want.annotation), (name, arg.arg)
        value = eval(compile(ast.Expression(default), "stub", "eval"), {})
        assert same_default(value, want.default), (name, arg.arg)
    assert ast.unparse(node.returns) == stubs.annotation_text(runtime.return_annotation)
    assert {"compress", "level", "limit"} <= set(stubs.one_call_functions())


def test_the_stub_imports_every_public_name_from_its_module():
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    exported = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                exported[alias.asname] = (node.module, alias.name)
    for name in processors.__all__:
        if name in stubs.one_call_functions():  # declared in the stub itself
            continue
        value = getattr(processors, name)
        module = getattr(value, "__module__", None)
        key = f"_{name}" if name in stubs.processor_classes() else name
        assert exported[key][1] == name, name
        if module is not None:
            assert exported[key][0] == module, name


def test_mezzo_lazy_names_are_imported_for_type_checkers():
    tree = ast.parse(MEZZO_INIT.read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    seen = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        for alias in node.names:
            assert alias.asname == alias.name, "explicit re-export: 'from m import X as X'"
            seen[alias.name] = node.module
    assert seen == mezzo._LAZY, "mezzo/__init__.py: import each name of _LAZY under 'if TYPE_CHECKING'"
