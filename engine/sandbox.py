"""The restricted expression language of processes (SpiffWorkflow runs plain eval/exec: trap 1).

Every condition, script, timer expression, multi-instance input, task title and DMN cell goes
through here. Three layers, each closing what the previous cannot see:

1. **AST check before compiling**: no import, def, class, global, yield, await or with; no name
   or attribute starting with ``_``; no attribute that reaches frames, code or formatting
   machinery (``gi_frame``, ``f_globals``, ``format``, ``mro`` ...); f-string format specs must
   be short constants. ``check_expression`` runs this check alone, at deploy time.
2. **Rewriting**: ``*``, ``**``, ``<<``, ``+``, ``%``, f-strings and copying built-ins
   (``list``, ``sorted``, ``str`` ...) become calls that refuse results bigger than
   ``MAX_SIZE`` (before building them when the size is predictable) and charge what they build
   against a per-run budget; every attribute read goes through a guard that checks methods
   (``str.join``, ``str.replace``, ``list.extend``) the same way.
3. **Running** (``engine.sandbox_limits``): only whitelisted built-ins (no ``open``, ``eval``,
   ``getattr``, ``type`` ...), a capped ``range``, and a per-thread trace function that stops
   after ``MAX_STEPS`` bytecode steps or ``MAX_SECONDS`` of wall time.
"""

from __future__ import annotations

import ast
import builtins
import copy
import json
import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import CodeType
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine import deadlines
from engine.errors import ServiceTaskError
from engine.registry import ServiceRegistry, default_registry
from engine.sandbox_limits import (
    GUARDS,
    HELPER_PREFIX,
    SANDBOX_FILENAME,
    SandboxError,
    check_attribute_name,
    check_size,
    run_code,
    safe_range,
)
from services import clock

_FORBIDDEN_NODES: dict[type, str] = {
    ast.Import: "import 导入",
    ast.ImportFrom: "import 导入",
    ast.FunctionDef: "def 定义函数（请用 lambda）",
    ast.AsyncFunctionDef: "async def",
    ast.ClassDef: "class 定义类",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
    ast.Await: "await",
    ast.With: "with",
    ast.AsyncWith: "async with",
    ast.AsyncFor: "async for",
}


# ---------------------------------------------------------------------------- static check


def check_expression(source: str, mode: str = "eval") -> str | None:
    """Return a Chinese explanation of why ``source`` is refused, or None when it is allowed.

    ``mode`` is ``"eval"`` for expressions (conditions, timers, titles) or ``"exec"`` for
    scripts. Used at deploy time; running an expression applies the same check first.
    """
    try:
        _checked_tree(source, mode)
    except SandboxError as exc:
        return str(exc)
    return None


def _checked_tree(source: str, mode: str) -> ast.AST:
    try:
        tree = ast.parse(source, filename=SANDBOX_FILENAME, mode=mode)
    except SyntaxError as exc:
        raise SandboxError(f"不是合法的 Python 表达式（第 {exc.lineno} 行：{exc.msg}）") from exc
    for node in ast.walk(tree):
        _check_node(node)
    return tree


def _check_node(node: ast.AST) -> None:
    for kind, label in _FORBIDDEN_NODES.items():
        if isinstance(node, kind):
            raise SandboxError(f"不允许使用 {label}")
    if isinstance(node, ast.Name) and _reserved_name(node.id):
        raise SandboxError(f"不允许使用名称 {node.id}")
    if isinstance(node, ast.Attribute):
        check_attribute_name(node.attr)
    if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
        _check_format_spec(node.format_spec)
    if isinstance(node, ast.arg) and _reserved_name(node.arg):
        raise SandboxError(f"不允许使用参数名 {node.arg}")


def _reserved_name(name: str) -> bool:
    # Dunder names reach the interpreter; _oa_ names would shadow the guards.
    return name.startswith("__") or name.startswith(HELPER_PREFIX)


def _check_format_spec(spec: ast.expr) -> None:
    parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
    for part in parts:
        if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
            raise SandboxError("f-string 的格式说明必须是常量")
        if re.search(r"\d{5,}", part.value):
            raise SandboxError("f-string 的格式宽度过大")


# ---------------------------------------------------------------------------- rewriting

# Built-ins that copy their input into a new container: their results count against the budget.
_BUILDERS = frozenset({"list", "tuple", "dict", "set", "frozenset", "sorted", "str", "repr"})
_GUARDED_BINOPS: dict[type, str] = {
    ast.Add: "+",
    ast.Mult: "*",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.Mod: "%",
}


class _Guarder(ast.NodeTransformer):
    """Route size-amplifying operators and attribute reads through the runtime guards."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        symbol = _GUARDED_BINOPS.get(type(node.op))
        if symbol is None:
            return node
        return _helper_call("binop", [ast.Constant(symbol), node.left, node.right], node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        symbol = _GUARDED_BINOPS.get(type(node.op))
        if symbol is None:
            return node
        read = copy.deepcopy(node.target)
        _set_load(read)
        value = _helper_call("binop", [ast.Constant(symbol), read, node.value], node)
        return ast.copy_location(ast.Assign(targets=[node.target], value=value), node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        self.generic_visit(node)
        return _helper_call("size", [node], node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in _BUILDERS:
            node.args.insert(0, node.func)
            node.func = ast.Name(id=HELPER_PREFIX + "build", ctx=ast.Load())
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.ctx, ast.Load):
            return node
        return _helper_call("getattr", [node.value, ast.Constant(node.attr)], node)


def _helper_call(name: str, args: list[ast.expr], where: ast.AST) -> ast.Call:
    func = ast.Name(id=HELPER_PREFIX + name, ctx=ast.Load())
    return ast.copy_location(ast.Call(func=func, args=args, keywords=[]), where)


def _set_load(node: ast.AST) -> None:
    for child in ast.walk(node):
        if hasattr(child, "ctx"):
            child.ctx = ast.Load()


@lru_cache(maxsize=2048)
def compile_checked(source: str, mode: str) -> CodeType:
    """Check, rewrite and compile ``source`` (cached: process expressions repeat a lot)."""
    tree = _Guarder().visit(_checked_tree(source, mode))
    ast.fix_missing_locations(tree)
    code: CodeType = compile(tree, SANDBOX_FILENAME, mode)
    return code


_SAFE_BUILTIN_NAMES = """
    abs all any bool dict divmod enumerate filter float frozenset int isinstance len list map
    max min reversed round set sorted str sum tuple zip chr ord repr
    ValueError KeyError TypeError Exception
"""
SAFE_BUILTINS: dict[str, Any] = {name: vars(builtins)[name] for name in _SAFE_BUILTIN_NAMES.split()}
SAFE_BUILTINS["range"] = safe_range

# Helpers analysts may call; times come from the injectable clock so replays are deterministic.
HELPERS: dict[str, Any] = {
    "datetime": datetime,
    "date": date,
    "timedelta": timedelta,
    "now": clock.now,
    "today": lambda: clock.now().date(),
    "workdays": deadlines.workdays,  # ISO duration to N working days on the 工作日历
}


# ---------------------------------------------------------------------------- running


def _namespace(data: dict[str, Any], extra: dict[str, Any] | None) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__builtins__": SAFE_BUILTINS}
    namespace.update(HELPERS)
    namespace.update(extra or {})
    namespace.update(data)
    namespace.update(GUARDS)
    return namespace


def evaluate(source: str, data: dict[str, Any], extra: dict[str, Any] | None = None) -> Any:
    """Evaluate an expression on task data inside the sandbox and return its (size-checked)
    value. Raises SandboxError for a refused expression or an exceeded limit."""
    return check_size(run_code(compile_checked(source, "eval"), _namespace(data, extra)))


def execute(source: str, data: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
    """Run a script on task data in place: names it assigns become (size-checked) data.

    Data fields may shadow helper names (a form field called ``date`` is common); functions
    the script creates are not kept, as they cannot be stored.
    """
    helper_names = (set(HELPERS) | set(extra or {})) - set(data)
    namespace = _namespace(data, extra)
    run_code(compile_checked(source, "exec"), namespace)
    for key, value in namespace.items():
        if key == "__builtins__" or key in helper_names or key in GUARDS or callable(value):
            continue
        data[key] = check_size(value)
    for key in [k for k in data if k not in namespace]:
        del data[key]  # `del x` in the script removes the field


# ---------------------------------------------------------------------------- Spiff adapter


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """The environment SpiffWorkflow calls for every evaluate/execute."""

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        return evaluate(expression, context, external_context)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        execute(script, context, external_context)
        return True


class SandboxScriptEngine(PythonScriptEngine):
    """Spiff's script engine bound to the sandbox and to a service registry."""

    def __init__(self, registry: ServiceRegistry) -> None:
        super().__init__(environment=SandboxEnvironment())
        self.registry = registry

    def validate(self, expression: str) -> None:
        # DMN uses validate() to probe syntax; keep its SyntaxError contract.
        ast.parse(expression)

    def call_service(self, task: Any, **kwargs: Any) -> str:
        """Dispatch a service task to the registry (Spiff 3.2.0's own error path is broken)."""
        name = kwargs["operation_name"]
        params = {key: spec["value"] for key, spec in kwargs["operation_params"].items()}
        context = service_context(task)
        result = self.registry.call(name, params, context)
        try:
            return json.dumps(result, ensure_ascii=False, default=str)
        except (TypeError, ValueError) as exc:
            raise ServiceTaskError(
                f"服务 {name} 的返回值无法保存为 JSON",
                service=name,
                error_code="bad_result",
            ) from exc


def service_context(task: Any) -> dict[str, Any]:
    """What a service may know about its caller: ids, never engine objects."""
    # A service inside a call activity runs in a sub-workflow: the ids live on the top one.
    workflow = getattr(task.workflow, "top_workflow", task.workflow)
    workflow_data = getattr(workflow, "data", {}) or {}
    return {
        "task_spec": task.task_spec.bpmn_id,
        "task_name": task.task_spec.bpmn_name,
        "instance_id": workflow_data.get("oa_instance_id"),
        "data": copy.deepcopy(task.data),
    }


def make_script_engine(registry: ServiceRegistry | None = None) -> SandboxScriptEngine:
    """A script engine for a workflow; set it again after every deserialization (trap 2)."""
    return SandboxScriptEngine(registry or default_registry)
