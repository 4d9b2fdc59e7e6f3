"""What to run (variants of each workload, repeats) and what to report (rows and targets).

A variant is one child-process configuration, run for each side in alternation. A row names a
sample key on each side and the autolog target from BRIEF section 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BOTH = ("autolog", "mlflow")


@dataclass
class Variant:
    name: str
    workload: str
    params: dict
    repeats: int
    sides: tuple = BOTH
    warmup: dict | None = field(default_factory=dict)  # params override; None: no warm-up
    per_repeat: callable = None  # (params, r) -> params
    # Per-side overrides: autolog's fits take milliseconds, MLflow's seconds, so autolog's side
    # can afford the pairs that make its median steady.
    side_params: dict = field(default_factory=dict)


@dataclass
class Row:
    label: str
    variant: str
    autolog_key: str | None
    mlflow_key: str | None
    unit: str
    target: tuple | None = None  # ("<=", 5.0) on the autolog median, or (">=", x)
    note: str = ""
    mlflow_variant: str | None = None  # when MLflow's number comes from another variant


def fit_variants(quick: bool) -> list[Variant]:
    out = []
    for model in ("logreg", "rf", "pipeline"):
        for mode in ("default", "no_models"):
            if mode == "no_models" and (model == "pipeline" or (quick and model == "rf")):
                continue  # no target row; skipped to save time
            small = model != "rf"
            plain_n = (15 if small else 3) if quick else (30 if small else 5)
            auto_n = (2 if small else 1) if quick else 3
            params = {"model": model, "mode": mode, "plain_n": plain_n, "auto_n": auto_n}
            warm = None if quick else {"plain_n": 1, "auto_n": 0}
            more = {"autolog": {"auto_n": 20 if quick else 30}} if small else {}
            out.append(
                Variant(
                    f"fit-{model}-{mode}", "fit", params, 1 if quick else 3, warmup=warm, side_params=more
                )
            )
    return out


FRAMEWORK_CASES = {  # case -> (label, pairs full, pairs quick)
    "xgb_train": ("xgboost.train 50 rounds, breast_cancer, 2 eval sets", 20, 6),
    "xgb_sklearn": ("XGBClassifier(50).fit, eval_set", 20, 6),
    "lgb_train": ("lightgbm.train 50 rounds, valid set", 20, 6),
    "lgb_sklearn": ("LGBMClassifier(50).fit, eval_set", 20, 6),
    "lightning": ("Lightning Trainer.fit, 5 epochs, tiny MLP", 10, 4),
    "keras": ("Keras Model.fit, 5 epochs (torch backend)", 10, 4),
}


def framework_variants(quick: bool) -> list[Variant]:
    """One process per (case, mode), autolog side only; warm-up calls happen inside it."""
    out = []
    for case, (_, pairs, quick_pairs) in FRAMEWORK_CASES.items():
        for mode in ("default", "no_models"):
            params = {
                "case": case,
                "mode": mode,
                "warm_n": 1 if quick else 2,
                "plain_n": 3 if quick else 6,
                "pairs": quick_pairs if quick else pairs,
            }
            out.append(
                Variant(f"frameworks-{case}-{mode}", "frameworks", params, 1, sides=("autolog",), warmup=None)
            )
    return out


def framework_rows() -> list[Row]:
    rows = []
    for case, (label, _, _) in FRAMEWORK_CASES.items():
        d, n = f"frameworks-{case}-default", f"frameworks-{case}-no_models"
        rows += [
            Row(
                f"{label}: plain (ms)",
                d,
                "paired_plain_ms",
                None,
                "ms",
                None,
                "inside autolog.disabled(), paired",
            ),
            Row(f"{label}: overhead, default (ms)", d, "overhead_ms", None, "ms"),
            Row(f"{label}: overhead, default (% of plain)", d, "overhead_pct", None, "%"),
            Row(f"{label}: overhead, log_models=False (ms)", n, "overhead_ms", None, "ms"),
            Row(f"{label}: overhead, log_models=False (% of plain)", n, "overhead_pct", None, "%"),
            Row(
                f"{label}: overhead, first call in process (ms)",
                d,
                "first_overhead_ms",
                None,
                "ms",
                None,
                "lazy imports included",
            ),
        ]
    return rows


def variants(quick: bool, fixtures) -> list[Variant]:
    """fixtures(n) -> {"autolog": dir, "sqlite": dir, "file": dir or None}."""
    v = fit_variants(quick)
    v.append(
        Variant(
            "grid",
            "grid",
            {"plain_n": 1 if quick else 2, "auto_n": 1 if quick else 2},
            1 if quick else 2,
            warmup=None if quick else {"plain_n": 1, "auto_n": 0},
        )
    )
    v.append(
        Variant(
            "metrics",
            "metrics",
            {"create_n": 30 if quick else 100, "metric_n": 2000},
            1 if quick else 3,
            warmup={"create_n": 5, "metric_n": 50},
        )
    )
    v.append(
        Variant(
            "search-500",
            "search",
            {"n": 500, "k": 10 if quick else 20, "fixtures": fixtures(500)},
            1 if quick else 3,
            warmup={"k": 1},
        )
    )
    if not quick:
        v.append(
            Variant(
                "search-10k",
                "search",
                {"n": 10_000, "k": 10, "fixtures": fixtures(10_000)},
                3,
                warmup={"k": 1},
            )
        )
        v.append(
            Variant(
                "search-100k",
                "search",
                {"n": 100_000, "k": 10, "fixtures": fixtures(100_000)},
                3,
                sides=("autolog",),
                warmup={"k": 1},
            )
        )
        v.append(
            Variant(
                "ui-100k",
                "ui",
                {"fixture_dir": fixtures(100_000)["autolog"], "k": 5},
                1,
                sides=("autolog",),
                warmup=None,
            )
        )
    if not quick:  # writes 5,000,000 metric rows first: a few minutes
        v.append(Variant("ui-browser", "ui", {"case": "browser", "k": 3}, 1, sides=("autolog",), warmup=None))
    v.append(Variant("load", "load_model", {"k": 20}, 1 if quick else 3, warmup=None if quick else {"k": 1}))
    # Hooked and plain imports alternate in one variant (hooked, plain, hooked, ...): a 1.5 s
    # import varies by 20 % from one process to the next, and the two must see the same machine.
    v.append(
        Variant(
            "imports",
            "imports",
            {"mode": "hooked"},
            2 * (4 if quick else 8),
            per_repeat=lambda p, r: {"mode": "plain" if r % 2 else "hooked", "verify": r == 0},
        )
    )
    if not quick:
        v.append(Variant("imports-flavor", "imports", {"mode": "flavor"}, 5, sides=("mlflow",)))
    v.append(Variant("files", "files", {"fits": 1 if quick else 3}, 1, warmup=None))
    v.append(Variant("memory", "memory", {"n": 200 if quick else 1000}, 1, sides=("autolog",), warmup=None))
    v.append(Variant("digest", "digest", {"gib": 1.0, "k": 3}, 1, sides=("autolog",), warmup=None))
    v += framework_variants(quick)
    return v


ROWS = [
    Row(
        "LogisticRegression/iris: plain fit (ms)",
        "fit-logreg-default",
        "plain_ms",
        "plain_ms",
        "ms",
        None,
        "same scikit-learn on both sides",
    ),
    Row(
        "LogisticRegression/iris: overhead, default (ms)",
        "fit-logreg-default",
        "overhead_ms",
        "overhead_ms",
        "ms",
        ("<=", 5.0),
    ),
    Row(
        "LogisticRegression/iris: overhead, first fit in process (ms)",
        "fit-logreg-default",
        "first_overhead_ms",
        "first_overhead_ms",
        "ms",
        ("<=", 150.0),
        "lazy imports and store creation included",
    ),
    Row(
        "LogisticRegression/iris: evaluation plot data per fit (ms)",
        "fit-logreg-default",
        "plot_data_ms",
        None,
        "ms",
        ("<=", 1.0),
        "confusion matrix, 3 ROC/PR curves, importances",
    ),
    Row(
        "RandomForest(50)/5000x20: evaluation plot data per fit (ms)",
        "fit-rf-default",
        "plot_data_ms",
        None,
        "ms",
        None,
        "5,000 rows: ROC/PR/calibration, 20 importances",
    ),
    Row(
        "Pipeline(scaler, logreg): evaluation plot data per fit (ms)",
        "fit-pipeline-default",
        "plot_data_ms",
        None,
        "ms",
        ("<=", 1.0),
    ),
    Row(
        "LogisticRegression/iris: overhead, log_models=False (ms)",
        "fit-logreg-no_models",
        "overhead_ms",
        "overhead_ms",
        "ms",
        ("<=", 3.0),
    ),
    Row("RandomForest(50)/5000x20: plain fit (ms)", "fit-rf-default", "plain_ms", "plain_ms", "ms"),
    Row(
        "RandomForest(50)/5000x20: overhead, default (% of fit)",
        "fit-rf-default",
        "overhead_pct",
        "overhead_pct",
        "%",
        ("<=", 5.0),
    ),
    Row(
        "RandomForest(50)/5000x20: overhead, log_models=False (% of fit)",
        "fit-rf-no_models",
        "overhead_pct",
        "overhead_pct",
        "%",
    ),
    Row("GridSearchCV 16x5: plain search (ms)", "grid", "plain_ms", "plain_ms", "ms"),
    Row(
        "GridSearchCV 16x5: overhead, default (% of search)",
        "grid",
        "overhead_pct",
        "overhead_pct",
        "%",
        ("<=", 10.0),
    ),
    Row("GridSearchCV 16x5: runs created per search", "grid", "runs_per_search", "runs_per_search", "runs"),
    Row(
        "Pipeline(scaler, logreg): overhead, default (ms)",
        "fit-pipeline-default",
        "overhead_ms",
        "overhead_ms",
        "ms",
        ("<=", 5.0),
        "target: same as a plain small fit",
    ),
    Row(
        "Pipeline(scaler, logreg): runs per fit",
        "fit-pipeline-default",
        "all_runs_per_fit",
        "all_runs_per_fit",
        "runs",
        ("<=", 1.0),
    ),
    Row("log_metric, per call (us)", "metrics", "log_metric_us", "log_metric_us", "us", ("<=", 50.0)),
    Row(
        "log_metric, per call, MLflow file store (us)",
        "metrics",
        "log_metric_us",
        "file.log_metric_us",
        "us",
        ("<=", 50.0),
    ),
    Row(
        "log_metrics, one batch of 1,000 (ms)", "metrics", "log_metrics_1000_ms", "log_metrics_1000_ms", "ms"
    ),
    Row(
        "log_batch of 2,000 values (ms)",
        "metrics",
        "log_batch_2000_ms",
        "log_batch_2000_ms",
        "ms",
        ("<=", 10.0),
    ),
    Row(
        "log_batch of 2,000 values, MLflow file store (ms)",
        "metrics",
        "log_batch_2000_ms",
        "file.log_batch_2000_ms",
        "ms",
        ("<=", 10.0),
    ),
    Row("create a run (ms)", "metrics", "create_run_ms", "create_run_ms", "ms", ("<=", 1.0)),
    Row(
        "create a run, MLflow file store (ms)",
        "metrics",
        "create_run_ms",
        "file.create_run_ms",
        "ms",
        ("<=", 1.0),
    ),
    Row(
        "search, filter + order by, 500 runs (ms)", "search-500", "search_ms", "search_ms", "ms", ("<=", 3.0)
    ),
    Row(
        "search, 500 runs, MLflow file store (ms)",
        "search-500",
        "search_ms",
        "file.search_ms",
        "ms",
        ("<=", 3.0),
    ),
    Row("search, 10,000 runs (ms)", "search-10k", "search_ms", "search_ms", "ms"),
    Row("search, 100,000 runs (ms)", "search-100k", "search_ms", None, "ms", ("<=", 100.0)),
    Row(
        "UI runs page, 100,000 runs, default view (ms)",
        "ui-100k",
        "default_page_ms",
        None,
        "ms",
        ("<=", 1000.0),
    ),
    Row(
        "UI runs page, 100,000 runs, filtered + sorted by a metric (ms)",
        "ui-100k",
        "filtered_page_ms",
        None,
        "ms",
        ("<=", 1000.0),
    ),
    Row(
        "UI compare, 200 runs x 20 metrics x 1,000 steps, interactive, Chromium (ms)",
        "ui-browser",
        "compare_interactive_ms",
        None,
        "ms",
        ("<=", 1500.0),
        "navigation start to DOMContentLoaded",
    ),
    Row(
        "UI compare 200 runs: charts in view drawn (ms)",
        "ui-browser",
        "compare_first_charts_ms",
        None,
        "ms",
        None,
        "4 charts, one request each for all 200 runs",
    ),
    Row(
        "UI compare 200 runs: all 20 charts drawn, scrolled (ms)",
        "ui-browser",
        "compare_all_charts_ms",
        None,
        "ms",
    ),
    Row(
        "UI chart of a 1,000,000-step metric, warm (ms)",
        "ui-browser",
        "chart_1m_warm_ms",
        None,
        "ms",
        ("<=", 300.0),
        "request to drawn; envelope cached in the server",
    ),
    Row(
        "UI chart of a 1,000,000-step metric, first view after start (ms)",
        "ui-browser",
        "chart_1m_cold_ms",
        None,
        "ms",
        None,
        "builds the min/max envelope: one grouped SQL scan",
    ),
    Row("UI 1M-step chart: drag-zoom re-fetch + redraw (ms)", "ui-browser", "chart_1m_zoom_ms", None, "ms"),
    Row(
        "UI runs page, 10,000 distinct keys, Chromium load (ms)",
        "ui-browser",
        "wide_page_ms",
        None,
        "ms",
        ("<=", 1000.0),
    ),
    Row("load_model(runs:/ID/model) (ms)", "load", "load_ms", "load_ms", "ms", ("<=", 3.0)),
    Row("load_model, first in process (ms)", "load", "first_load_ms", "first_load_ms", "ms"),
    Row("import the package (ms)", "imports", "import_ms", "import_ms", "ms", ("<=", 100.0)),
    Row(
        "import + autolog(), no framework yet (ms)",
        "imports",
        "import_autolog_ms",
        "import_autolog_ms",
        "ms",
        ("<=", 150.0),
    ),
    Row(
        "import sklearn.linear_model, plain (ms)",
        "imports",
        "sklearn_lm_plain_ms",
        "sklearn_lm_plain_ms",
        "ms",
    ),
    Row(
        "import sklearn.linear_model after autolog() (ms)",
        "imports",
        "sklearn_lm_hooked_ms",
        "sklearn_lm_hooked_ms",
        "ms",
        ("<=%plain", 10.0),
        "target: <= 10% above the plain import",
    ),
    Row(
        "import + autolog() + import sklearn.linear_model, total (ms)",
        "imports",
        "total_ms",
        "total_ms",
        "ms",
        None,
        "MLflow: import mlflow; mlflow.autolog()",
    ),
    Row(
        "same total, MLflow spelled import mlflow.sklearn; mlflow.sklearn.autolog() (ms)",
        "imports",
        "total_ms",
        "flavor_total_ms",
        "ms",
        None,
        "autolog: the universal total above",
        mlflow_variant="imports-flavor",
    ),
    Row(
        "files written per autologged small fit",
        "files",
        "files_per_fit",
        "files_per_fit",
        "files",
        ("<=", 5.0),
    ),
    Row("directories created per autologged small fit", "files", "dirs_per_fit", "dirs_per_fit", "dirs"),
    Row("bytes written per autologged small fit (KiB)", "files", "kb_per_fit", "kb_per_fit", "KiB"),
    Row("install: packages beyond scikit-learn", "footprint", "packages", "packages", "pkgs", ("<=", 20.0)),
    Row("install: MB beyond scikit-learn", "footprint", "mb", "mb", "MB", ("<=", 60.0)),
    Row(
        "memory: estimators alive after N fits (1,000; quick 200)",
        "memory",
        "estimators_alive",
        None,
        "objs",
        ("<=", 0.0),
    ),
    Row(
        "memory: tracemalloc growth, 2nd half of the loop (KiB)",
        "memory",
        "traced_growth_2nd_half_kib",
        None,
        "KiB",
        ("<=", 1024.0),
        "flat: < 1 MiB per 500 fits",
    ),
    Row(
        "memory: RSS growth, 2nd half of the loop (KiB)",
        "memory",
        "rss_growth_2nd_half_kib",
        None,
        "KiB",
        ("<=", 4096.0),
    ),
    Row("memory: tracemalloc peak (MiB)", "memory", "traced_peak_mib", None, "MiB"),
    Row("digest of a 1 GiB array (s)", "digest", "digest_s_per_gib", None, "s", ("<=", 1.0)),
    *framework_rows(),
]
