"""PyTorch Lightning and Keras 3: each fit is one run, with per-epoch metrics, early stopping, a
model summary and the trained model. Nothing below the ``autolog()`` line knows about autolog.

Keras runs on the PyTorch backend here (``KERAS_BACKEND`` must be set before keras is imported).
Runs into ./autolog-runs unless AUTOLOG_TRACKING_URI says otherwise.
"""

import logging
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import autolog
from autolog import autolog as enable_autolog

autolog.set_tracking_uri(os.environ.get("AUTOLOG_TRACKING_URI", "autolog-runs"))
enable_autolog()  # before the imports below: each framework is patched as it is imported

import keras  # noqa: E402
import lightning.pytorch as pl  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from lightning.pytorch.callbacks import EarlyStopping  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
rng = np.random.default_rng(0)
X = rng.normal(size=(256, 8)).astype("float32")
y = (X[:, :4].sum(axis=1) > 0).astype("float32")
X_train, y_train, X_valid, y_valid = X[:192], y[:192], X[192:], y[192:]


# 1. A LightningModule with save_hyperparameters, trained with early stopping
class Classifier(pl.LightningModule):
    def __init__(self, hidden: int = 16, lr: float = 0.01):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(8, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)

    def _loss(self, batch):
        x, target = batch
        logits = self(x)
        accuracy = ((logits > 0).float() == target).float().mean()
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, target), accuracy

    def training_step(self, batch, batch_idx):
        loss, accuracy = self._loss(batch)
        self.log_dict({"train_loss": loss, "train_acc": accuracy}, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        loss, accuracy = self._loss(batch)
        self.log_dict({"val_loss": loss, "val_acc": accuracy})

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


def loader(features, targets, shuffle=False):
    return DataLoader(
        TensorDataset(torch.from_numpy(features), torch.from_numpy(targets)), batch_size=32, shuffle=shuffle
    )


torch.manual_seed(0)
lit_model = Classifier(hidden=16, lr=0.02)
trainer = pl.Trainer(
    max_epochs=30,
    callbacks=[EarlyStopping(monitor="val_loss", patience=3)],
    logger=False,
    enable_checkpointing=False,
    enable_progress_bar=False,
    enable_model_summary=False,
    accelerator="cpu",
)
trainer.fit(lit_model, loader(X_train, y_train, shuffle=True), loader(X_valid, y_valid))

# 2. A Keras model with a validation split and early stopping
keras.utils.set_random_seed(0)
keras_model = keras.Sequential(
    [
        keras.Input((8,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
keras_model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
keras_model.fit(
    X_train,
    y_train,
    epochs=30,
    batch_size=32,
    validation_split=0.2,
    verbose=0,
    callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=3)],
)

lit_run, keras_run = reversed(autolog.search_runs(output_format="list", max_results=2))
for run in (lit_run, keras_run):
    artifacts = [info.path for info in autolog.Client().list_artifacts(run.info.run_id)]
    print(f"\n{run.info.run_name} ({run.info.status}), run {run.info.run_id}")
    print("  params: ", dict(sorted(run.data.params.items())))
    print("  metrics:", {key: round(value, 4) for key, value in sorted(run.data.metrics.items())})
    print("  artifacts:", artifacts)

reloaded_module = autolog.load_model(f"runs:/{lit_run.info.run_id}/model")
with torch.no_grad():
    same = torch.equal(
        reloaded_module(torch.from_numpy(X_valid)), lit_model.eval()(torch.from_numpy(X_valid))
    )
print(f"\nreloaded {type(reloaded_module).__name__} predicts the same:", same)
reloaded_keras = autolog.load_model(f"runs:/{keras_run.info.run_id}/model")
print(
    f"reloaded {type(reloaded_keras).__name__} predicts the same:",
    bool(np.array_equal(reloaded_keras.predict(X_valid, verbose=0), keras_model.predict(X_valid, verbose=0))),
)
