"""Training frameworks: one training call without autologging, then with it, in the same process.

Cases (issue 6): xgboost.train 50 rounds on breast_cancer with an eval set, XGBClassifier.fit,
lightgbm.train 50 rounds with a valid set, LGBMClassifier.fit, Lightning Trainer.fit 5 epochs of
a tiny MLP (CPU; no progress bar, logger, checkpointing or model summary, so both sides do the
same work), Keras Model.fit 5 epochs (KERAS_BACKEND=torch) on a tiny dataset.

One process per (case, mode): warm-up calls, pure plain calls (before autolog() was ever called:
the "plain" reference), the first autologged call, then pairs (plain inside ``autolog.disabled()``
and autologged, adjacent in time so slow drifts in machine load cancel out; the order alternates
pair by pair, so work an autologged call leaves behind (heartbeat, context prefetch) lands on
both sides alike). overhead = autologged - plain of the same pair. Only what the
framework's entry point does is timed: data, DMatrix/Dataset, estimators, Trainers and compiled
Keras models are built outside the timer, fresh for each call.

Checks: every call did the work (rounds/epochs counted from the framework's own result), the
plain calls made no run, each autologged call made exactly one top-level run with params and
per-step metrics (and a model unless log_models=False).

Autolog side only: the MLflow venv has no XGBoost/LightGBM/torch/Keras.
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
import warnings

from workloads._common import api, check, ms_since, now

ROUNDS = 50
EPOCHS = 5
CASES = ("xgb_train", "xgb_sklearn", "lgb_train", "lgb_sklearn", "lightning", "keras")


def breast_cancer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X, y, random_state=0)


def tiny(n: int = 256, d: int = 8):
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d)).astype("float32")
    y = (X[:, : d // 2].sum(axis=1) > 0).astype("float32")
    k = n * 3 // 4
    return X[:k], y[:k], X[k:], y[k:]


# Each builder imports its framework, prepares the data once and returns (prepare, call, work):
# prepare() -> the fresh objects of one call (untimed), call(obj) runs the training entry point
# (timed), work(obj, result) -> rounds or epochs actually done (checked == ROUNDS / EPOCHS).


def xgb_train():
    import xgboost as xgb

    X_tr, X_te, y_tr, y_te = breast_cancer()
    dtrain, dtest = xgb.DMatrix(X_tr, y_tr), xgb.DMatrix(X_te, y_te)
    params = {"objective": "binary:logistic", "eval_metric": ["logloss", "auc"], "max_depth": 3, "nthread": 1}

    def call(_):
        return xgb.train(
            params,
            dtrain,
            num_boost_round=ROUNDS,
            evals=[(dtrain, "train"), (dtest, "test")],
            verbose_eval=False,
        )

    return (lambda: None), call, (lambda _, booster: booster.num_boosted_rounds())


def xgb_sklearn():
    import xgboost as xgb

    X_tr, X_te, y_tr, y_te = breast_cancer()

    def prepare():
        return xgb.XGBClassifier(n_estimators=ROUNDS, max_depth=3, eval_metric="logloss", n_jobs=1)

    def call(model):
        return model.fit(X_tr, y_tr, eval_set=[(X_te, y_te)], verbose=False)

    return prepare, call, (lambda model, _: model.get_booster().num_boosted_rounds())


def lgb_train():
    import lightgbm as lgb

    X_tr, X_te, y_tr, y_te = breast_cancer()
    params = {"objective": "binary", "verbose": -1, "num_threads": 1}

    def prepare():  # a Dataset is constructed by train()
        train_set = lgb.Dataset(X_tr, y_tr)
        return train_set, lgb.Dataset(X_te, y_te, reference=train_set)

    def call(sets):
        return lgb.train(params, sets[0], ROUNDS, valid_sets=[sets[1]], valid_names=["test"])

    return prepare, call, (lambda _, booster: booster.current_iteration())


def lgb_sklearn():
    import lightgbm as lgb

    X_tr, X_te, y_tr, y_te = breast_cancer()

    def prepare():
        return lgb.LGBMClassifier(n_estimators=ROUNDS, verbose=-1, n_jobs=1)

    def call(model):
        return model.fit(X_tr, y_tr, eval_set=[(X_te, y_te)])

    return prepare, call, (lambda model, _: model.booster_.current_iteration())


def lightning():
    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    logging.getLogger("lightning.fabric").setLevel(logging.ERROR)
    X_tr, y_tr, X_va, y_va = tiny()

    class MLP(pl.LightningModule):
        def __init__(self, hidden: int = 16, lr: float = 0.02):
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(8, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
            )

        def forward(self, x):
            return self.net(x).squeeze(-1)

        def training_step(self, batch, batch_idx):
            x, t = batch
            loss = torch.nn.functional.binary_cross_entropy_with_logits(self(x), t)
            self.log("train_loss", loss, on_step=False, on_epoch=True)
            return loss

        def validation_step(self, batch, batch_idx):
            x, t = batch
            self.log("val_loss", torch.nn.functional.binary_cross_entropy_with_logits(self(x), t))

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)

    def loader(X, y, shuffle=False):
        return DataLoader(
            TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=32, shuffle=shuffle
        )

    def prepare():
        torch.manual_seed(0)
        trainer = pl.Trainer(
            max_epochs=EPOCHS,
            accelerator="cpu",
            devices=1,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
        )
        return trainer, MLP(), loader(X_tr, y_tr, True), loader(X_va, y_va)

    def call(objs):
        trainer, model, train_dl, val_dl = objs
        return trainer.fit(model, train_dl, val_dl)

    return prepare, call, (lambda objs, _: objs[0].current_epoch)


def keras_fit():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    X_tr, y_tr, X_va, y_va = tiny()

    def prepare():
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((8,)),
                keras.layers.Dense(16, activation="relu"),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
        return model

    def call(model):
        return model.fit(X_tr, y_tr, epochs=EPOCHS, batch_size=32, validation_data=(X_va, y_va), verbose=0)

    return prepare, call, (lambda _, history: len(history.history["loss"]))


BUILDERS = {
    "xgb_train": xgb_train,
    "xgb_sklearn": xgb_sklearn,
    "lgb_train": lgb_train,
    "lgb_sklearn": lgb_sklearn,
    "lightning": lightning,
    "keras": keras_fit,
}
EXPECTED_WORK = {"lightning": EPOCHS, "keras": EPOCHS}


def timed(prepare, call, work, case: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        obj = prepare()
        t0 = now()
        result = call(obj)
        out.append(ms_since(t0))
        done = work(obj, result)
        want = EXPECTED_WORK.get(case, ROUNDS)
        check(done == want, f"{case}: {done} rounds/epochs done, expected {want}")
    return out


def verify(a, cl, case: str, n_auto: int, mode: str) -> dict:
    runs = a.all_runs(cl)
    top = [r for r in runs if not a.parent_id(r)]
    check(
        len(runs) == n_auto,
        f"{case}: {len(runs)} runs ({len(top)} top-level) for {n_auto} "
        "autologged calls: plain calls must make none, autologged calls exactly one",
    )
    steps = EXPECTED_WORK.get(case, ROUNDS)
    for r in top:
        check(r.info.status == "FINISHED", f"{case}: run {r.info.run_id} is {r.info.status}")
        check(bool(r.data.params), f"{case}: run {r.info.run_id} has no params")
        check(bool(r.data.metrics), f"{case}: run {r.info.run_id} has no metrics")
    r = top[0]
    histories = {k: len(a.metric_history(cl, r.info.run_id, k)) for k in sorted(r.data.metrics)}
    check(any(n == steps for n in histories.values()), f"{case}: no metric with {steps} steps: {histories}")
    models = [a.has_model(cl, x.info.run_id) for x in top]
    if mode == "default":
        check(all(models), f"{case}: a run has no model")
    else:
        check(not any(models), f"{case}: log_models=False but a run has a model")
    return {
        "runs": len(runs),
        "top_level_runs": len(top),
        "params": len(r.data.params),
        "metric_steps": histories,
        "artifacts": sorted(f.path for f in cl.list_artifacts(r.info.run_id)),
    }


def run(side: str, case: str, mode: str, warm_n: int, plain_n: int, pairs: int) -> dict:
    warnings.filterwarnings("ignore")
    a = api(side)
    a.configure(tempfile.mkdtemp(prefix=f"bench-{side}-"))
    prepare, call, work = BUILDERS[case]()
    timed(prepare, call, work, case, warm_n)  # imports, thread pools, caches
    plain = timed(prepare, call, work, case, plain_n)
    opts = {"log_models": False} if mode == "no_models" else {}
    t0 = now()
    a.enable(**opts)
    enable_ms = ms_since(t0)
    first = timed(prepare, call, work, case, 1)[0]
    import autolog

    paired_plain, auto = [], []
    for i in range(pairs):  # plain, auto / auto, plain / ...: whatever
        for plain_turn in (True, False) if i % 2 == 0 else (False, True):  # spills into
            if plain_turn:  # the next call hits both sides alike
                with autolog.disabled():
                    paired_plain += timed(prepare, call, work, case, 1)
            else:
                auto += timed(prepare, call, work, case, 1)
    checks = verify(a, a.client(), case, pairs + 1, mode)
    base = statistics.median(plain)
    return {
        "samples": {
            "plain_ms": plain,
            "paired_plain_ms": paired_plain,
            "auto_ms": auto,
            "overhead_ms": [t - p for t, p in zip(auto, paired_plain)],
            "overhead_pct": [100.0 * (t - p) / p for t, p in zip(auto, paired_plain)],
            "overhead_vs_pure_ms": [t - base for t in auto],
            "first_overhead_ms": [first - base],
            "enable_ms": [enable_ms],
            "runs_per_call": [checks["top_level_runs"] / (pairs + 1)],
        },
        "checks": checks,
    }


def autolog_side(**kw) -> dict:
    return run("autolog", **kw)


def mlflow_side(**kw) -> dict:
    raise NotImplementedError("no MLflow side: bench/.venv-mlflow has no training frameworks")
