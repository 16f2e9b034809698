"""The service-task registry: the one door from a process to the rest of the platform.

A BPMN service task names a dotted service (``numbering.reserve``) with parameters whose values
are sandbox expressions::

    <bpmn:serviceTask id="reserve_number" name="预留文号">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="numbering.reserve" resultVariable="doc_number">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="issuer" type="str" value="issuer_code"/>
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>

How a service registers: a module inside ``engine/`` (services/ never imports the engine)
imports the plain function from ``services/`` and calls::

    default_registry.register("numbering.reserve", numbering.reserve,
                              params={"issuer": str}, description="预留一个文号")

Unknown names and undeclared or missing parameters are refused at deploy time; at run time the
values are type-checked and any exception of the service becomes a ``ServiceTaskError`` whose
``error_code`` a BPMN error boundary event can catch (otherwise the runtime raises an incident).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.errors import ServiceTaskError
from services.errors import OAError


@dataclass(frozen=True)
class ServiceDef:
    """A registered service: its callable, declared parameter types and description."""

    name: str
    func: Callable[..., Any]
    params: dict[str, type]
    description: str
    optional: frozenset[str] = field(default_factory=frozenset)
    with_context: bool = False

    @property
    def required(self) -> set[str]:
        """Parameters a service task must pass."""
        return set(self.params) - set(self.optional)


class ServiceRegistry:
    """Maps dotted service names to typed Python callables."""

    def __init__(self) -> None:
        self._services: dict[str, ServiceDef] = {}

    def register(
        self,
        name: str,
        func: Callable[..., Any],
        params: dict[str, type],
        description: str,
        *,
        with_context: bool = False,
    ) -> ServiceDef:
        """Register ``func`` under ``name``; parameters with a default in its signature are
        optional. ``with_context`` passes ``context=`` (instance id, task, data copy)."""
        if name in self._services:
            raise ValueError(f"服务 {name} 已注册")
        signature = inspect.signature(func)
        optional = frozenset(
            p.name
            for p in signature.parameters.values()
            if p.name in params and p.default is not inspect.Parameter.empty
        )
        service = ServiceDef(name, func, dict(params), description, optional, with_context)
        self._services[name] = service
        return service

    def get(self, name: str) -> ServiceDef | None:
        """The service registered as ``name``, or None."""
        return self._services.get(name)

    def names(self) -> list[str]:
        """All registered names, sorted (for the analyst's catalogue)."""
        return sorted(self._services)

    def check_call(self, name: str, param_names: set[str]) -> list[str]:
        """Chinese problems with a service task naming ``name`` with ``param_names``."""
        service = self.get(name)
        if service is None:
            return [f"服务 {name} 未注册（可用服务：{', '.join(self.names()) or '无'}）"]
        problems = [f"服务 {name} 没有参数 {p}" for p in sorted(param_names - set(service.params))]
        problems += [f"服务 {name} 缺少参数 {p}" for p in sorted(service.required - param_names)]
        return problems

    def call(self, name: str, params: dict[str, Any], context: dict[str, Any]) -> Any:
        """Run the service; every failure becomes a ``ServiceTaskError``."""
        service = self.get(name)
        problems = self.check_call(name, set(params))
        if service is None or problems:
            raise ServiceTaskError("；".join(problems), service=name, error_code="bad_call")
        _check_types(service, params)
        kwargs = dict(params, context=context) if service.with_context else params
        try:
            return service.func(**kwargs)
        except OAError as exc:
            raise ServiceTaskError(exc.message, service=name, error_code=exc.code) from exc
        except Exception as exc:  # any failure of a service must not crash the instance
            raise ServiceTaskError(
                f"服务 {name} 执行失败：{exc}", service=name, error_code=type(exc).__name__
            ) from exc


def _check_types(service: ServiceDef, params: dict[str, Any]) -> None:
    for key, value in params.items():
        expected = service.params[key]
        if value is None and key in service.optional:
            continue
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            continue
        if not isinstance(value, expected):
            raise ServiceTaskError(
                f"服务 {service.name} 的参数 {key} 应为 {expected.__name__}，"
                f"实际为 {type(value).__name__}",
                service=service.name,
                error_code="bad_param",
            )


def _echo(message: str, fail: bool = False) -> dict[str, Any]:
    """Return the message (and fail on demand): exercises the registry in tests and demos."""
    if fail:
        raise ValueError(message)
    return {"echo": message}


default_registry = ServiceRegistry()
default_registry.register(
    "engine.echo",
    _echo,
    params={"message": str, "fail": bool},
    description="回显消息（测试用；fail 为真时抛出错误）",
)
