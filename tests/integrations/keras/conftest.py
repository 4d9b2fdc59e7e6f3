"""Keras 3 runs on the PyTorch backend in these tests (CPU); chosen before keras is imported."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")
