"""Ray Tune autologging: ``Tuner.fit()`` becomes a parent run, each trial a child run written
from the trial's worker process.

Found by the engine through the entry point ``autolog.integrations: ray``. Importing this package
imports no Ray: :meth:`RayTuneIntegration.patch` runs once ``ray.tune`` is imported.

In the driver, the fit of a fresh Tuner (``TunerInternal._fit_internal``) opens the parent run
and hands Ray, instead of a function trainable ``train(config)``, a function of the same name and
signature that runs in the worker: it turns autologging on there with the driver's options,
creates the trial's child run (params = the trial's config), makes it the active run of the
trial's thread (framework autologging and ``autolog.log_metric`` inside go to it), records every
``ray.tune.report`` as one step of metric history (step = training iteration) with the latest
checkpoint's location as the tag ``ray.checkpoint``, and ends the run with the trial's outcome.
When the fit returns, the parent gets the trial counts, the best result (with
``TuneConfig(metric=, mode=)``) and ``tuning/history.json``. Class trainables and Ray Train
trainers get the parent run only. See ``docs/distributed.md`` for the multi-node setup.
"""

from __future__ import annotations

from autolog.engine import Integration, Patcher


class RayTuneIntegration(Integration):
    """Autologging for ``ray.tune.Tuner.fit``."""

    identifier = "ray"
    module = "ray.tune"
    distribution = "ray"
    min_version = "2.40"
    max_version = "2"

    def patch(self, patcher: Patcher) -> None:
        """Wrap the fresh-fit path of ``TunerInternal`` and the trial session's ``report``."""
        from autolog.integrations.ray._driver import fit_internal_wrapper
        from autolog.integrations.ray._worker import report_wrapper
        from ray.train._internal.session import _TrainSession
        from ray.tune.impl.tuner_internal import TunerInternal

        patcher.wrap(TunerInternal, "_fit_internal", fit_internal_wrapper)
        patcher.wrap(_TrainSession, "report", report_wrapper)


__all__ = ["RayTuneIntegration"]
