"""Package layout: the repository's top-level ``integrations/`` folder installs as ``autolog.integrations``.

Everything else is declared in pyproject.toml. The mapping keeps one import name per module: a
user project with its own ``integrations`` package can never shadow autolog's integrations.
"""

from setuptools import find_packages, setup

INTEGRATIONS = "autolog.integrations"

packages = find_packages(include=["autolog", "autolog.*"])
packages += [INTEGRATIONS] + [f"{INTEGRATIONS}.{name}" for name in find_packages("integrations")]

setup(packages=packages, package_dir={INTEGRATIONS: "integrations"})
