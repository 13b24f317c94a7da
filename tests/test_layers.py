"""The layers point one way: a problem's package (jssp, fjsp, mrt) imports no learner, no
comparison app and no command line, not even inside a function; the learners reach the
problems by registering their policies with them (rewriter.registry.LEARNERS)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rewriter
from rewriter import registry

PACKAGE = Path(rewriter.__file__).resolve().parent
PROBLEMS = ("jssp", "fjsp", "mrt", "crew")
#: what is built on the problems: the learners, the environments, the comparison app, the
#: command line, and the app's modules at the package's top
ABOVE = ("rewriter.learn", "rewriter.envs", "rewriter.compare", "rewriter.cli", "rewriter.api",
         "rewriter.registry", "rewriter.warmup")


def imported_modules(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, module) of every import in the file (under the package folder ``root``), relative
    ones made absolute, the names taken from a module counted as modules too (``from rewriter
    import learn``)."""
    package = ["rewriter", *path.relative_to(root).with_suffix("").parts]
    found = []
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found += [(node.lineno, module)]
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:`` (imports for annotations
    only, which never run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def upward_imports(root: Path = PACKAGE) -> list[str]:
    """Every import of a problem's module from a layer above the problems."""
    bad = []
    for problem in PROBLEMS:
        for path in sorted((root / problem).rglob("*.py")):
            for line, module in imported_modules(path, root):
                if any(module == top or module.startswith(top + ".") for top in ABOVE):
                    bad.append(f"{path.relative_to(root.parent)}:{line} imports {module}")
    return bad


def test_no_problem_imports_a_learner_or_the_app():
    assert upward_imports() == []


def test_the_check_finds_an_import_inside_a_function(tmp_path):
    fake = tmp_path / "rewriter"
    (fake / "jssp").mkdir(parents=True)
    (fake / "jssp" / "solve.py").write_text("import numpy\nfrom ..core import loop\n\n"
                                            "def f():\n    from ..learn.search import x\n")
    (fake / "mrt").mkdir()
    (fake / "mrt" / "spec.py").write_text("from rewriter import registry\n")
    assert upward_imports(fake) == ["rewriter/jssp/solve.py:5 imports rewriter.learn.search",
                                    "rewriter/jssp/solve.py:5 imports rewriter.learn.search.x",
                                    "rewriter/mrt/spec.py:1 imports rewriter.registry"]


def test_every_module_imports_first():
    """No import circle: each module imports when it is the first of the package imported (the
    package's modules are forgotten before each)."""
    import subprocess
    import sys

    names = sorted(".".join(("rewriter", *p.relative_to(PACKAGE).with_suffix("").parts))
                   .removesuffix(".__init__") for p in PACKAGE.rglob("*.py")
                   if p.name != "__main__.py")
    code = ("import importlib, sys\nfailed = []\nfor name in sys.argv[1:]:\n"
            "    for loaded in [m for m in sys.modules if m.split('.')[0] == 'rewriter']:\n"
            "        del sys.modules[loaded]\n"
            "    try:\n        importlib.import_module(name)\n"
            "    except Exception as exc:\n        failed.append(f'{name}: {exc!r}')\n"
            "print(failed)\n")
    done = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("problem, learned", [("jssp", ("learned", "construct", "controlled")),
                                              ("fjsp", ("learned",)), ("mrt", ("learned",))])
def test_a_spec_without_its_learners_has_only_its_own_policies(problem, learned):
    from importlib import import_module

    own = import_module(f"rewriter.{problem}.spec").SPEC
    served = registry.get(problem)
    assert not set(learned) & set(own.policies) and not own.added_policies
    assert set(learned) <= set(served.policies) and set(own.policies) <= set(served.policies)
    assert own.default_policy in own.policies and served.default_policy in served.policies


def test_a_learner_serves_only_the_specs_it_registers_with():
    from importlib import import_module

    from rewriter.learn.control import register as control
    from rewriter.learn.dqn import register as dqn

    fjsp = import_module("rewriter.fjsp.spec").SPEC
    assert control.register(fjsp) is fjsp  # the controller steers the job shop's tabu only
    with_dqn = dqn.register(fjsp)
    assert "dqn" in with_dqn.init_rules and "dqn" in with_dqn.methods()
    assert "dqn" not in fjsp.init_rules and "dqn" not in fjsp.methods()


def test_the_spec_routes_a_policy_to_its_runner_and_refuses_its_options_elsewhere():
    from importlib import import_module

    from dataclasses import replace

    from rewriter.core.spec import Option, Policy, StartRule
    from rewriter.errors import InputError

    calls = []

    def runner(instance, **options):
        calls.append(("runner", instance, options))
        return "ran"

    def own(instance, **options):
        calls.append(("own", instance, options))
        return "own"

    spec = (replace(import_module("rewriter.jssp.spec").SPEC, solve=own)
            .with_policy(Policy("probe", runner, "a probe", default_steps=7,
                                options=(Option("depth", None, "probe only"),)))
            .with_start_rule(StartRule("probe-start", lambda inst, **_: f"start of {inst}", "")))
    assert spec.run("I", init="mwkr", policy="probe", depth=3) == "ran"
    assert calls[-1] == ("runner", "I", {"init": "mwkr", "steps": 7, "depth": 3})
    assert spec.run("I", init="probe-start", policy="tabu") == "own"
    assert calls[-1][2]["start"] == "start of I" and calls[-1][2]["steps"] == spec.default_steps
    with pytest.raises(InputError, match="option of the probe policy only"):
        spec.run("I", init="mwkr", policy="tabu", depth=3)


#: the package's layers, lowest first: a module imports from its own layer or those below
LAYERS = (
    ("errors", "version", "lazy", "numba_cache", "textfile", "atomic", "seeding"),
    ("core",),
    ("shop",),
    PROBLEMS,
    # the registry names the problems and, by name only (import_module), the learners that
    # register their policies with them: its own imports stop at the core
    ("registry",),
    ("envs",),
    ("learn", "models"),  # models: the shipped model files and their look-up
    ("compare",),
    ("cli", "api", "warmup", "__init__", "__main__"),
)


def layer_of(module: str) -> int | None:
    """The layer of ``rewriter.X...`` by X; None for what is not the package's, or the package
    root itself (``from rewriter import InputError`` names a ground module's class)."""
    parts = module.split(".")
    if parts[0] != "rewriter" or len(parts) == 1:
        return None
    return next((i for i, names in enumerate(LAYERS) if parts[1] in names), None)


def imports_up_the_layers(root: Path = PACKAGE) -> list[str]:
    """Every import of a module from a higher layer than the importing file's."""
    bad = []
    for path in sorted(root.rglob("*.py")):
        own = layer_of(".".join(("rewriter", *path.relative_to(root).with_suffix("").parts)))
        assert own is not None, f"{path}: a file of no layer; add its folder to LAYERS"
        for line, module in imported_modules(path, root):
            layer = layer_of(module)
            if layer is not None and layer > own:
                bad.append(f"{path.relative_to(root.parent)}:{line} imports {module}")
    return sorted(set(bad))


def test_every_import_points_down_the_layers():
    assert imports_up_the_layers() == []


def test_the_layer_check_finds_a_core_module_importing_a_shop(tmp_path):
    fake = tmp_path / "rewriter"
    (fake / "core").mkdir(parents=True)
    (fake / "core" / "loop.py").write_text("def f():\n    from ..shop.dag import heads_from\n")
    assert imports_up_the_layers(fake) == [
        "rewriter/core/loop.py:2 imports rewriter.shop.dag",
        "rewriter/core/loop.py:2 imports rewriter.shop.dag.heads_from"]
