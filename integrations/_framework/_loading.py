"""The class recorded with a model, resolved safely when the model is loaded."""

from __future__ import annotations

import sys


def recorded_class(qualified_name: str, package: str, base: type) -> type | None:
    """The class ``module.Name`` recorded with a model, if it is a subclass of ``base``.

    Only modules of ``package`` are imported; another module (the user's own subclass) is used
    when the process already imported it. The model metadata is not covered by the model's
    sha256, so it must not decide what gets imported. Returns None when unavailable.
    """
    import importlib

    module_name, _, class_name = qualified_name.rpartition(".")
    if module_name == package or module_name.startswith(package + "."):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            module = None
    else:
        module = sys.modules.get(module_name)
    cls = getattr(module, class_name, None) if module is not None else None
    return cls if isinstance(cls, type) and issubclass(cls, base) else None
