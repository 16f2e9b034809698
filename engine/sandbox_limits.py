"""Run-time limits of the expression sandbox (see ``engine.sandbox`` for the whole design).

The rewritten code calls the guards below instead of plain operators and attribute reads; they
refuse results that are too big *before* building them where the size is predictable, and
charge everything built against a per-run budget. ``run_code`` adds the step and time limits.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

SANDBOX_FILENAME = "<流程脚本>"
MAX_SIZE = 100_000  # elements of a list/dict/set, characters of a string
MAX_INT_BITS = 4_096
MAX_STEPS = 1_000_000  # bytecode steps
# Total elements/characters built by guarded operations in one run: many results that are
# each under MAX_SIZE must not add up to gigabytes (``d[i] = [0] * 99999`` in a loop).
MAX_TOTAL_SIZE = 2_000_000
MAX_SECONDS = 1.0
HELPER_PREFIX = "_oa_"
# Attributes that lead from ordinary objects to frames, code, globals or unbounded formatting.
_FORBIDDEN_ATTRIBUTES = frozenset(
    {
        "format",
        "format_map",
        "mro",
        "gi_frame",
        "gi_code",
        "gi_yieldfrom",
        "cr_frame",
        "cr_code",
        "cr_await",
        "ag_frame",
        "ag_code",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_back",
        "f_code",
        "tb_frame",
        "tb_next",
        "func_globals",
        "func_code",
        "expandtabs",
    }
)
# A %-format with a '*' or a five-digit width/precision could build a huge string.
_PERCENT_WIDTH = re.compile(r"%[-#0 +]*(\*|\d{5,})|%[-#0 +]*\d*\.(\*|\d{5,})")


class SandboxError(Exception):
    """An expression broke a sandbox rule; the message is Chinese and meant for the analyst."""


def check_attribute_name(name: str) -> None:
    """Refuse private/dunder attributes and those reaching interpreter internals."""
    if name.startswith("_"):
        raise SandboxError(f"不允许访问以下划线开头的属性 {name}")
    if name in _FORBIDDEN_ATTRIBUTES:
        raise SandboxError(f"不允许访问属性 {name}")


_run_state = threading.local()


def check_size(value: Any, *, charge: bool = True) -> Any:
    """Refuse a too big value; ``charge`` counts it against the run's total budget (only for
    values that were just built, not for existing data passed through)."""
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        if len(value) > MAX_SIZE:
            raise SandboxError(f"结果过大（超过 {MAX_SIZE} 个元素或字符）")
        if charge:
            _charge(len(value))
    elif isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise SandboxError("整数过大")
    return value


def _charge(size: int) -> None:
    limiter = getattr(_run_state, "limiter", None)
    if limiter is None:
        return
    limiter.allocated += size
    if limiter.allocated > MAX_TOTAL_SIZE:
        raise SandboxError(f"脚本生成的数据总量超过上限（{MAX_TOTAL_SIZE} 个元素或字符）")


def _guarded_build(builder: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return check_size(builder(*args, **kwargs))


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict | set) else 0


def _precheck(symbol: str, left: Any, right: Any) -> None:
    if symbol == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(times, int) and _length(seq) * max(times, 0) > MAX_SIZE:
                raise SandboxError("重复（*）产生的结果过大")
        both_ints = isinstance(left, int) and isinstance(right, int)
        if both_ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise SandboxError("整数过大")
    elif symbol == "**" and isinstance(left, int) and isinstance(right, int):
        if right > 0 and max(left.bit_length(), 1) * right > MAX_INT_BITS:
            raise SandboxError("乘方（**）结果过大")
    elif symbol == "<<" and isinstance(right, int) and right > MAX_INT_BITS:
        raise SandboxError("移位（<<）结果过大")
    elif symbol == "+" and _length(left) + _length(right) > MAX_SIZE:
        raise SandboxError("拼接（+）产生的结果过大")
    elif symbol == "%" and isinstance(left, str) and _PERCENT_WIDTH.search(left):
        raise SandboxError("% 格式化的宽度过大")


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "*": lambda a, b: a * b,
    "**": lambda a, b: a**b,
    "<<": lambda a, b: a << b,
    "%": lambda a, b: a % b,
}


def _guarded_binop(symbol: str, left: Any, right: Any) -> Any:
    _precheck(symbol, left, right)
    return check_size(_OPERATORS[symbol](left, right))


def _guarded_getattr(obj: Any, name: str) -> Any:
    check_attribute_name(name)  # names are static, but never trust a single layer
    value = getattr(obj, name)
    if not callable(value):
        return value

    def checked_method(*args: Any, **kwargs: Any) -> Any:
        # str.join(sep, items) called on the class: the receiver is the first argument.
        unbound = isinstance(obj, type) and bool(args)
        receiver, rest = (args[0], args[1:]) if unbound else (obj, args)
        _precheck_method(receiver, name, rest, kwargs)
        before = _length(receiver)
        result = value(*args, **kwargs)
        check_size(receiver, charge=False)  # in-place growth: list.extend, dict.update ...
        _charge(max(_length(receiver) - before, 0))
        # String methods and copy() build new values; get()/pop() return existing ones.
        fresh = isinstance(receiver, str | bytes) or name == "copy"
        return check_size(result, charge=fresh)

    return checked_method


def _precheck_method(obj: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse method calls whose result would be too big before it is built."""
    if any(isinstance(a, int) and a > MAX_SIZE for a in (*args, *kwargs.values())):
        raise SandboxError("参数过大")  # str.ljust(10**9), str.zfill, str.center ...
    estimate = 0
    if name == "replace" and isinstance(obj, str) and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        count = len(obj) + 1 if not old else obj.count(old)
        estimate = len(obj) + count * max(len(new) - len(old), 0)
    elif name == "join" and isinstance(obj, str) and args and isinstance(args[0], list | tuple):
        estimate = len(obj) * len(args[0]) + sum(_length(item) for item in args[0])
    if estimate > MAX_SIZE:
        raise SandboxError(f"结果过大（超过 {MAX_SIZE} 个元素或字符）")


def safe_range(*args: int) -> range:
    """``range`` capped at MAX_SIZE elements (sum(range(10**9)) would run in C, untraced)."""
    result = range(*args)
    if len(result) > MAX_SIZE:
        raise SandboxError(f"range 过长（最多 {MAX_SIZE} 个元素）")
    return result


GUARDS: dict[str, Any] = {
    HELPER_PREFIX + "binop": _guarded_binop,
    HELPER_PREFIX + "getattr": _guarded_getattr,
    HELPER_PREFIX + "build": _guarded_build,
    HELPER_PREFIX + "size": check_size,
}


class _StepLimiter:
    """A per-thread trace function counting bytecode steps of sandboxed code only.

    Opcode events, not line events: ``while True: pass`` on one line never emits a line event.
    """

    def __init__(self, max_steps: int, max_seconds: float) -> None:
        self.steps = 0
        self.allocated = 0
        self.max_steps = max_steps
        self.deadline = time.perf_counter() + max_seconds

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != SANDBOX_FILENAME:
            return None
        frame.f_trace_opcodes = True
        return self._on_step

    def _on_step(self, frame: FrameType, event: str, arg: Any) -> Any:
        self.steps += 1
        if self.steps > self.max_steps:
            raise SandboxError(f"脚本执行步数超过上限（{self.max_steps} 步）")
        if self.steps % 1024 == 0 and time.perf_counter() > self.deadline:
            raise SandboxError("脚本执行超时")
        return self._on_step


def run_code(
    code: CodeType,
    namespace: dict[str, Any],
    *,
    max_steps: int = MAX_STEPS,
    max_seconds: float = MAX_SECONDS,
) -> Any:
    """Run compiled sandbox code in ``namespace`` under the step and time limits."""
    previous = sys.gettrace()
    previous_limiter = getattr(_run_state, "limiter", None)
    limiter = _StepLimiter(max_steps, max_seconds)
    _run_state.limiter = limiter
    sys.settrace(limiter)
    try:
        return eval(code, namespace)  # noqa: S307 - checked and rewritten code, safe builtins
    finally:
        sys.settrace(previous)
        _run_state.limiter = previous_limiter
