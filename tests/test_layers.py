"""The import contract: tsrnn's layers, no import cycles, and a torch-free command line.

Layers, lowest first; a module may import its own package and any lower layer, never a higher
one nor a sibling package of its own layer. Every import counts, also one inside a function (a
lazy import still ties the modules together):

    0  errors, _version, _lazy, _tempfiles          nothing of tsrnn
    1  base, output, parallel, _onnx, _cache        small shared services
    2  _container, _figure                          the model-file container (writes via output),
                                                    the matplotlib setup of every plot
    3  data                                         reading, panels, scaling, windows
    4  frames, metrics, forecastfile, netconfig     the forecast frame, accuracy on arrays, the
                                                    forecaster's file and network configuration
                                                    (read by forecast and cpu)
    5  nn, cpu, baselines                           torch networks, the numba runtime, statistics
    6  forecast, anomaly, text, plotting            estimators
    7  registry                                     the public API, in this order: names → models
    8  crossval                                     splits and scores of a cross-validation
    9  core                                         Forecast: frames for any list of forecasters
    10 backtesting                                  backtest() over models or names
    11 tsrnn (its __init__)
    12 tsrnn_cli (cli/)                             the command line
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYERS = [
    {"errors", "_version", "_lazy", "_tempfiles"},
    {"base", "output", "parallel", "_onnx", "_cache"},
    {"_container", "_figure"},
    {"data"},
    {"frames", "metrics", "forecastfile", "netconfig"},
    {"nn", "cpu", "baselines"},
    {"forecast", "anomaly", "text", "plotting"},
    {"registry"},
    {"crossval"},
    {"core"},
    {"backtesting"},
    {""},
]


def _modules() -> dict[str, Path]:
    """Dotted name → file for every module of tsrnn/ and cli/ (cli as tsrnn_cli)."""
    out = {}
    for base, pkg in ((ROOT / "tsrnn", "tsrnn"), (ROOT / "cli", "tsrnn_cli")):
        for p in base.rglob("*.py"):
            parts = [pkg, *p.relative_to(base).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = p
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules that `name` imports anywhere in its file (absolute and relative)."""
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            # `from pkg import sub` imports the module pkg.sub; `from mod import name`, mod
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
            targets = subs if len(subs) == len(node.names) else [base, *subs]
        for t in targets:
            if t in known and t != name:
                found.add(t)
    return found


def _layer(name: str) -> tuple[int, str]:
    """(layer, unit) of a module; the unit is its sub-package or top-level module of tsrnn."""
    if name.startswith("tsrnn_cli"):
        return len(LAYERS), "tsrnn_cli"
    parts = name.split(".")
    unit = parts[1] if len(parts) > 1 else ""
    for i, units in enumerate(LAYERS):
        if unit in units:
            return i, unit
    raise AssertionError(f"module {name} has no layer: add '{unit}' to LAYERS in {__file__}")


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {n: _imports(n, p, set(mods)) for n, p in mods.items()}


def test_every_import_goes_down_the_layers():
    bad = []
    for name, deps in sorted(_graph().items()):
        la, ua = _layer(name)
        for dep in sorted(deps):
            lb, ub = _layer(dep)
            if ua == ub:
                continue
            if lb > la or (lb == la):
                bad.append(f"{name} (layer {la}) imports {dep} (layer {lb})")
    assert not bad, "layer violations:\n" + "\n".join(bad)


def test_no_import_cycles():
    graph = _graph()
    # package __init__ files that re-export are edges too, but a package importing its own
    # children is not a cycle of design: drop parent → child edges
    g = {n: {d for d in ds if not d.startswith(n + ".")} for n, ds in graph.items()}
    state: dict[str, int] = defaultdict(int)  # 0 new, 1 on the stack, 2 done
    cycles = []

    def visit(n, stack):
        state[n] = 1
        stack.append(n)
        for d in sorted(g.get(n, ())):
            if state[d] == 1:
                cycles.append(" -> ".join(stack[stack.index(d) :] + [d]))
            elif state[d] == 0:
                visit(d, stack)
        stack.pop()
        state[n] = 2

    for n in sorted(g):
        if state[n] == 0:
            visit(n, [])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_contract_catches_a_violation(tmp_path):
    # the checker itself: a planted upward import is found
    p = tmp_path / "m.py"
    p.write_text("from tsrnn.forecast.estimator import Forecaster\n")
    deps = _imports("tsrnn.data.m", p, {"tsrnn.forecast.estimator", "tsrnn.data.m"})
    assert deps == {"tsrnn.forecast.estimator"}
    assert _layer("tsrnn.forecast.estimator")[0] > _layer("tsrnn.data.m")[0]


def test_help_and_import_stay_torch_free():
    code = (
        "import sys; import tsrnn; import tsrnn_cli.app; "
        "assert 'torch' not in sys.modules, 'torch imported'; "
        "assert 'numba' not in sys.modules, 'numba imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_every_public_name_has_one_import_path():
    """Each name of tsrnn's lazy table resolves, and is taken from the module that defines it
    (no re-export shims in between)."""
    import tsrnn

    for name, module in tsrnn._LAZY.items():
        obj = getattr(tsrnn, name)
        assert obj.__module__ == module, (name, obj.__module__, module)
    assert not (ROOT / "tsrnn" / "forecaster.py").exists()


def _all_lists() -> dict[str, set[str]]:
    """Module → the names of its `__all__` (read from the source, nothing imported)."""
    out = {}
    for name, path in _modules().items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (
                isinstance(node, ast.Assign)
                and any(getattr(t, "id", None) == "__all__" for t in node.targets)
                and isinstance(node.value, (ast.List, ast.Tuple))
            ):
                out[name] = {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
    return out


def test_public_names_are_exported_by_tsrnn_alone():
    """No other package or module offers a public name of tsrnn as its own export (`__all__`),
    and no package __init__ below tsrnn binds one: `from tsrnn import X` is the one path."""
    import tsrnn

    lists = _all_lists()
    for name, module in tsrnn._LAZY.items():
        others = [m for m, names in lists.items() if name in names and m not in (module, "tsrnn")]
        assert not others, (name, others)
    for pkg, path in _modules().items():
        if path.name == "__init__.py" and pkg not in ("tsrnn", "tsrnn_cli"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            bound = {
                a.asname or a.name
                for n in tree.body
                if isinstance(n, ast.ImportFrom)
                for a in n.names
            }
            assert not bound & set(tsrnn._LAZY), (pkg, bound & set(tsrnn._LAZY))


def test_importing_the_cli_leaves_every_lazy_public_name_its_own_object():
    """No submodule shares a lazy public name: importing every tsrnn module and the CLI leaves
    each lazy name (tsrnn.backtest, the function, included) its own object, not a module."""
    code = (
        "import importlib, pkgutil, types, tsrnn, tsrnn_cli.app\n"
        "for m in pkgutil.walk_packages(tsrnn.__path__, 'tsrnn.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [n for n in tsrnn._LAZY if isinstance(getattr(tsrnn, n), types.ModuleType)]\n"
        "assert not bad, bad\n"
        "assert callable(tsrnn.backtest)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
