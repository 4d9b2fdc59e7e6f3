"""A model whose predictions take a while, to catch a request in flight."""

import time

import numpy as np


class SlowModel:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def predict(self, X):
        time.sleep(self.seconds)
        return np.zeros(len(X))
