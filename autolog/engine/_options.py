"""The autolog options: one frozen dataclass, validated once per ``autolog()`` call."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from autolog._core._exceptions import InvalidInputError

SERIALIZATION_FORMATS = ("pickle", "cloudpickle", "joblib", "skops")

_BOOLEAN_OPTIONS = (
    "disable",
    "exclusive",
    "silent",
    "log_models",
    "log_datasets",
    "log_input_examples",
    "log_model_signatures",
    "log_post_training_metrics",
    "disable_for_unsupported_versions",
    "log_argv",
    "log_git_diff",
)


@dataclass(frozen=True)
class AutologOptions:
    """The options of :func:`autolog.autolog`, with MLflow-familiar names.

    Read them with :func:`autolog.engine.get_options`; every ``autolog()`` call replaces them as
    a whole (an option not passed takes its default again).
    """

    disable: bool = False
    exclusive: bool = False
    silent: bool = False
    log_models: bool = True
    log_datasets: bool = True
    log_input_examples: bool = False
    log_model_signatures: bool = True
    log_post_training_metrics: bool = True
    max_tuning_runs: int | None = 5
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    registered_model_name: str | None = None
    serialization_format: str = "pickle"
    pos_label: Hashable | None = None
    disable_for_unsupported_versions: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    log_system_metrics: bool | None = None
    system_metrics_interval: float | None = None
    log_argv: bool = True
    log_git_diff: bool = True

    def integration_enabled(self, identifier: str, known_identifiers) -> bool:
        """Whether the integration ``identifier`` is enabled by ``include``/``exclude``.

        Listing integration identifiers in ``include`` enables only those; ``exclude`` wins.
        """
        if identifier in self.exclude:
            return False
        named = [entry for entry in self.include if entry in known_identifiers]
        return not named or identifier in named


def build_options(**values: Any) -> AutologOptions:
    """Validate ``values`` and return them as :class:`AutologOptions`.

    Raises
    ------
    TypeError
        For an option autolog does not know, naming it.
    InvalidInputError
        For a value of the wrong type or out of range, naming the option.
    """
    known = {f.name for f in dataclasses.fields(AutologOptions)}
    for name in values:
        if name not in known:
            raise TypeError(f"autolog() got an unknown option {name!r}; known options: {sorted(known)}")
    for name in _BOOLEAN_OPTIONS:
        if name in values and not isinstance(values[name], bool):
            raise InvalidInputError(f"autolog option {name!r} must be True or False, got {values[name]!r}")
    if "max_tuning_runs" in values:
        _check_max_tuning_runs(values["max_tuning_runs"])
    if "serialization_format" in values:
        _check_serialization_format(values["serialization_format"])
    if "registered_model_name" in values:
        _check_registered_model_name(values["registered_model_name"])
    if "pos_label" in values:
        _check_pos_label(values["pos_label"])
    _check_system_metrics(values)
    if "extra_tags" in values:
        values["extra_tags"] = _normalized_tags(values["extra_tags"])
    for name in ("include", "exclude"):
        if name in values:
            values[name] = _normalized_names(name, values[name])
    return AutologOptions(**values)


def _check_system_metrics(values: dict) -> None:
    enabled = values.get("log_system_metrics")
    if enabled is not None and not isinstance(enabled, bool):
        raise InvalidInputError(
            f"autolog option 'log_system_metrics' must be True, False or None, got {enabled!r}"
        )
    interval = values.get("system_metrics_interval")
    if interval is None:
        return
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval > 0:
        raise InvalidInputError(
            f"autolog option 'system_metrics_interval' must be a number of seconds > 0, got {interval!r}"
        )
    values["system_metrics_interval"] = float(interval)


def _check_max_tuning_runs(value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(
            f"autolog option 'max_tuning_runs' must be None or an integer >= 0, got {value!r}"
        )


def _check_serialization_format(value: Any) -> None:
    if value not in SERIALIZATION_FORMATS:
        raise InvalidInputError(
            f"autolog option 'serialization_format' must be one of {SERIALIZATION_FORMATS}, got {value!r}"
        )


def _check_optional_string(name: str, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidInputError(f"autolog option {name!r} must be a non-empty string or None, got {value!r}")


def _check_registered_model_name(value: Any) -> None:
    _check_optional_string("registered_model_name", value)
    if value is not None:
        from autolog.tracking import validate_model_name

        try:
            validate_model_name(value)
        except InvalidInputError as error:
            raise InvalidInputError(f"autolog option 'registered_model_name': {error}") from None


def _check_pos_label(value: Any) -> None:
    try:
        hash(value)
    except TypeError:
        raise InvalidInputError(f"autolog option 'pos_label' must be a class label, got {value!r}") from None


def _normalized_tags(value: Any) -> Mapping[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInputError(
            f"autolog option 'extra_tags' must be a mapping of tag names to values, got {value!r}"
        )
    tags = {}
    for key, tag_value in value.items():
        if not isinstance(key, str) or not key:
            raise InvalidInputError(f"autolog option 'extra_tags' has an invalid tag name {key!r}")
        tags[key] = str(tag_value)
    return tags


def _normalized_names(option: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = (value,)
    try:
        names = tuple(value)
    except TypeError:
        raise InvalidInputError(f"autolog option {option!r} must be a list of names, got {value!r}") from None
    for name in names:
        if not isinstance(name, str) or not name:
            raise InvalidInputError(
                f"autolog option {option!r} holds {name!r}, which is not a non-empty string"
            )
    return names
