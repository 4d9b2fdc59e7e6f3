"""A model whose predictions take a while, to catch a request in flight."""

import tempfile
import time

import numpy as np


class SlowModel:
    """Sleeps ``seconds`` per predict; with ``started_dir``, first leaves a file there per call."""

    def __init__(self, seconds: float, started_dir: str | None = None) -> None:
        self.seconds = seconds
        self.started_dir = started_dir

    def predict(self, X):
        if self.started_dir is not None:
            tempfile.NamedTemporaryFile(dir=self.started_dir, delete=False).close()
        time.sleep(self.seconds)
        return np.zeros(len(X))
