"""The schema of the lint configuration file, as a Pydantic model (see :mod:`gitops_gen.lint.config`).

A module of its own so that a lint run without a config file never imports Pydantic (start-up time).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from gitops_gen.capacity.nodes import MAX_NODES
from gitops_gen.lint.model import Severity
from gitops_gen.quantity import QuantityError, cpu_millis, memory_bytes

TYPES_HINT = "see docs/lint.md (Configuration) for the settings and their types"
OFF = ("off", "none", "disable", "disabled")


def _one_or_list(value: object) -> object:
    """``disable: probes`` means ``disable: [probes]``."""
    return [value] if isinstance(value, str) else value


def _rule_id(value: object, info: ValidationInfo) -> object:
    known: set[str] = (info.context or {}).get("rule_ids", set())
    if isinstance(value, str) and value in known:
        return value
    close = difflib.get_close_matches(str(value), sorted(known), n=1)
    raise PydanticCustomError(
        "unknown_rule",
        "unknown rule id {rule}",
        {
            "rule": repr(value),
            "hint": f"did you mean {close[0]!r}?" if close else f"known rules: {', '.join(sorted(known))}",
        },
    )


def _severity(value: object) -> Severity | None:
    """error | warning | info (any case), or off (also ``false``, none, disable, disabled): None."""
    if value is False or (isinstance(value, str) and value.lower() in OFF):
        return None
    if isinstance(value, str) and value.upper() in Severity.__members__:
        return Severity[value.upper()]
    raise PydanticCustomError(
        "unknown_severity",
        "unknown severity {value}",
        {"value": repr(value), "hint": "use error, warning, info or off"},
    )


def _quantity(parse: Callable[[object], int], example: str) -> Callable[[object], str]:
    def check(value: object) -> str:
        try:
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                parse(value)
                return str(value)
            detail = repr(value)
        except QuantityError as exc:
            detail = str(exc)
        raise PydanticCustomError("quantity", "not a quantity: {detail}", {"detail": detail, "hint": example})

    return check


def _node_count(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_NODES:
        return value
    raise PydanticCustomError(
        "node_count",
        "expected an integer from 1 to {most} (got {value})",
        {
            "most": f"{MAX_NODES:,}",
            "value": repr(value),
            "hint": f"give the number of nodes ({MAX_NODES:,} is Kubernetes' largest cluster)",
        },
    )


def _version(value: object) -> object:
    """``kubernetes-version: 1.34`` (a YAML/TOML number) means the string "1.34"."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


RuleId = Annotated[str, BeforeValidator(_rule_id)]
Strings = Annotated[list[str], BeforeValidator(_one_or_list)]


class NodesConfig(BaseModel):
    """``nodes``: the node size for memory-budget / cpu-budget (as ``--nodes/--node-cpu/--node-memory``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: Annotated[int, BeforeValidator(_node_count)] | None = None
    cpu: Annotated[str, BeforeValidator(_quantity(cpu_millis, "e.g. cpu: '4' or 500m"))] | None = None
    memory: Annotated[str, BeforeValidator(_quantity(memory_bytes, "e.g. memory: 12Gi"))] | None = None


class ClusterConfig(BaseModel):
    """``clusters.<name>``: settings of one cluster of a Flux repository (named as in findings)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nodes: NodesConfig | None = None


class ConfigFile(BaseModel):
    """The settings of ``.gitops-gen.yaml`` / ``[tool.gitops-gen]``, keys as written in the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    disable: Annotated[list[RuleId], BeforeValidator(_one_or_list)] = []
    severity: dict[RuleId, Annotated[Severity | None, BeforeValidator(_severity)]] = {}
    exclude: Strings = []
    kubernetes_version: Annotated[str | None, BeforeValidator(_version)] = Field(
        None, alias="kubernetes-version"
    )
    schema_dirs: Strings = Field([], alias="schema-dirs")
    crd_dirs: Strings = Field([], alias="crd-dirs")
    validator: Literal["embedded", "kubeconform", "auto"] | None = None
    fail_on: Literal["error", "warning"] | None = Field(None, alias="fail-on")
    nodes: NodesConfig | None = None
    clusters: dict[str, ClusterConfig] = {}

    @model_validator(mode="before")
    @classmethod
    def _empty_is_unset(cls, data: object) -> object:
        """``disable:`` with no value (items commented out) means the default, as if the key were absent."""
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) else data
