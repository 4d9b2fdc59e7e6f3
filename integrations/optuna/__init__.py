"""Optuna autologging: ``Study.optimize`` becomes a parent run, each trial a child run.

Found by the engine through the entry point ``autolog.integrations: optuna``. Importing this
package imports no Optuna: :meth:`OptunaIntegration.patch` runs once ``optuna`` is imported.

The parent run (one per ``optimize`` call, in the process that made it) records the study name,
direction(s), sampler and pruner with their settings, the best value and params, the number of
COMPLETE/PRUNED/FAILED trials of the call, and as artifacts the optimization history
(``optuna/history.json``) and the parameter importances (``optuna/param_importances.json``),
which the run page draws. Each trial is a child run written from the thread that ran it: params,
value(s), state, intermediate values as the ``intermediate_value`` history (step = Optuna's
step) and duration. Inside the objective the trial's run is the active run: an autologged
scikit-learn/XGBoost/LightGBM fit becomes a child run of the trial, ``autolog.log_metric`` logs
into the trial. See ``docs/distributed.md``.
"""

from __future__ import annotations

from autolog.engine import Integration, Patcher


class OptunaIntegration(Integration):
    """Autologging for ``optuna.study.Study.optimize``."""

    identifier = "optuna"
    module = "optuna"
    distribution = "optuna"
    min_version = "3.4"
    max_version = "5"

    def patch(self, patcher: Patcher) -> None:
        """Wrap ``Study.optimize``."""
        import optuna.study
        from autolog.integrations.optuna._study import optimize_wrapper

        patcher.wrap(optuna.study.Study, "optimize", optimize_wrapper)


__all__ = ["OptunaIntegration"]
