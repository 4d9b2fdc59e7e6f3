"""``autolog()``: configure options and (un)install every integration."""

from __future__ import annotations

import sys
from collections.abc import Hashable, Iterable, Mapping

from autolog.engine._contract import LOGGER, warn_once
from autolog.engine._flags import disabled
from autolog.engine._integration import Integration, discover_integrations
from autolog.engine._options import build_options
from autolog.engine._patcher import Patcher
from autolog.engine._state import STATE


def autolog(
    *,
    disable: bool = False,
    exclusive: bool = False,
    silent: bool = False,
    log_models: bool = True,
    log_datasets: bool = True,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_post_training_metrics: bool = True,
    max_tuning_runs: int | None = 5,
    extra_tags: Mapping[str, str] | None = None,
    registered_model_name: str | None = None,
    serialization_format: str = "pickle",
    pos_label: Hashable | None = None,
    disable_for_unsupported_versions: bool = False,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    log_system_metrics: bool | None = None,
    system_metrics_interval: float | None = None,
    log_argv: bool = True,
    log_git_diff: bool = True,
) -> None:
    """Record every training call of the supported frameworks as a run.

    Works whether it is called before or after the framework is imported. Each call replaces
    the options as a whole (an option not passed takes its default again) without patching
    twice.

    Parameters
    ----------
    disable : bool
        Remove every patch: patched attributes are the original objects again.
    exclusive : bool
        Do not log into a run the user started with ``autolog.start_run``.
    silent : bool
        No autolog warnings (internal failures are still logged at DEBUG on ``autolog``).
    log_models : bool
        Log the fitted model as the artifact ``model``.
    log_datasets : bool
        Log the fingerprint (digest, shape, columns, dtypes) of the training data as tags.
    log_input_examples : bool
        Save the first rows of the training input with the model.
    log_model_signatures : bool
        Save the input/output signature with the model.
    log_post_training_metrics : bool
        Log ``sklearn.metrics`` calls on a fitted model's predictions to its run.
    max_tuning_runs : int or None
        Child runs for the best candidates of a hyperparameter search (None: all).
    extra_tags : dict, optional
        Tags added to every autologged run.
    registered_model_name : str, optional
        Register every autologged model as a new version of this registered model
        (``models:/<name>/<version>``), right after its artifact is written.
    serialization_format : {"pickle", "cloudpickle", "joblib", "skops"}
        How models are serialized.
    pos_label : label, optional
        Positive class of binary classification metrics (default: sklearn's own, 1).
    disable_for_unsupported_versions : bool
        Skip (instead of warn about) frameworks outside an integration's version window.
    include, exclude : list of str, optional
        Integration identifiers (``"sklearn"``), estimator class names (``"StandardScaler"``) or
        module prefixes (``"sklearn.preprocessing"``). Listing identifiers in ``include`` enables
        only those integrations; other names in ``include`` re-enable estimators excluded by
        default (e.g. pure transformers); ``exclude`` wins over everything.
    log_system_metrics : bool, optional
        Sample CPU, memory, disk, network and GPU metrics (``system/...``) into every run this
        process starts while it is active (needs ``autolog[system]``). None: follow
        ``AUTOLOG_SYSTEM_METRICS``.
    system_metrics_interval : float, optional
        Seconds between two samples (default 10, or ``AUTOLOG_SYSTEM_METRICS_INTERVAL``).
    log_argv : bool
        Record the command line as the tag ``autolog.source.argv``. Values of secret-looking
        flags (``*pass*``, ``*token*``, ``*secret*``, ``*key*``, ``*credential*``) and URL
        passwords are replaced by ``***`` first; False records no command line at all.
    log_git_diff : bool
        In a checkout with uncommitted changes, save them as ``code/git_diff.patch`` (files
        with secret-looking names such as ``.env`` or ``*.pem`` are left out). False saves no
        patch; the commit id and the dirty flag are still recorded.

    Raises
    ------
    TypeError
        For an unknown option.
    InvalidInputError
        For an invalid option value.

    Examples
    --------
    >>> from autolog import autolog
    >>> autolog()                                             # doctest: +SKIP
    >>> LogisticRegression().fit(X, y)                        # doctest: +SKIP  -> one run
    >>> with autolog.disabled():                              # doctest: +SKIP
    ...     LogisticRegression().fit(X, y)                    # no run
    """
    options = build_options(
        disable=disable,
        exclusive=exclusive,
        silent=silent,
        log_models=log_models,
        log_datasets=log_datasets,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_post_training_metrics=log_post_training_metrics,
        max_tuning_runs=max_tuning_runs,
        extra_tags=extra_tags,
        registered_model_name=registered_model_name,
        serialization_format=serialization_format,
        pos_label=pos_label,
        disable_for_unsupported_versions=disable_for_unsupported_versions,
        include=include,
        exclude=exclude,
        log_system_metrics=log_system_metrics,
        system_metrics_interval=system_metrics_interval,
        log_argv=log_argv,
        log_git_diff=log_git_diff,
    )
    with STATE.lock:
        STATE.options = options
        STATE.integration_settings.clear()  # per-integration options are options too
        _configure_system_metrics(options)
        if options.disable:
            _remove_all_patches()
            return
        STATE.enabled = True
        integrations = installed_integrations()
        for identifier, integration in integrations.items():
            if options.integration_enabled(identifier, integrations):
                _activate(identifier, integration)
            else:
                _deactivate(identifier)


# mypy cannot type attributes set on a function (python/mypy#2087); setattr() is what ruff B010 forbids
autolog.disabled = disabled  # type: ignore[attr-defined]  # ``with autolog.disabled(): ...``


def _configure_system_metrics(options) -> None:
    """Hand the system-metrics options to tracking; its import is skipped while there is nothing
    to set (``autolog()`` stays cheap: tracking is imported by the first run)."""
    wanted = None if options.disable else options.log_system_metrics
    interval = None if options.disable else options.system_metrics_interval
    if wanted is None and interval is None and "autolog.tracking._system_metrics" not in sys.modules:
        return
    from autolog.tracking._system_metrics import set_system_metrics_default

    set_system_metrics_default(wanted, interval)


def installed_integrations() -> dict[str, Integration]:
    """Every integration declared through the entry points, by identifier (discovered once)."""
    if STATE.integrations is None:
        STATE.integrations = discover_integrations()
    return STATE.integrations


def _activate(identifier: str, integration: Integration) -> None:
    if identifier in STATE.patchers:
        return
    patcher = Patcher(identifier)
    STATE.patchers[identifier] = patcher
    patcher.when_imported(integration.module, lambda module: _install(integration, patcher))


def _install(integration: Integration, patcher: Patcher) -> None:
    version = integration.installed_version()
    if not integration.supports(version):
        window = f"{integration.min_version or 'any'} to {integration.max_version or 'any'}"
        if STATE.options.disable_for_unsupported_versions:
            LOGGER.info("autolog: %s %s is outside %s; not autologged", integration.module, version, window)
            return
        warn_once(
            f"unsupported version {integration.identifier}",
            f"autolog: {integration.module} {version} is outside the tested versions ({window}) of the "
            f"{integration.identifier!r} integration; autologging anyway. Pass "
            f"disable_for_unsupported_versions=True to skip it.",
        )
    integration.patch(patcher)


def _deactivate(identifier: str) -> None:
    patcher = STATE.patchers.pop(identifier, None)
    if patcher is not None:
        patcher.restore()


def _remove_all_patches() -> None:
    for identifier in list(STATE.patchers):
        _deactivate(identifier)
    STATE.enabled = False
    STATE.runs_with_autologged_fit.clear()
