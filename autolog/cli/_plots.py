"""``autolog runs plot RUN -o DIR``: the run's evaluation plots as PNG or SVG files.

Drawn on demand with matplotlib (the ``plots`` extra) from the JSON the autologged fit or
``autolog.evaluate`` logged under ``evaluation/``; nothing is drawn during training.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from autolog._core._exceptions import InvalidInputError
from autolog.cli._commands import arg, command
from autolog.cli._invocation import Invocation

EVALUATION_DIR = "evaluation"


@command(
    "runs",
    "plot",
    help="write a run's evaluation plots (confusion matrix, ROC, ...) as image files",
    args=(
        arg("run_id", metavar="RUN", help="run id"),
        arg(
            "-o",
            "--output",
            metavar="DIR",
            required=True,
            help="directory to write into (created if missing)",
        ),
        arg("--format", choices=("png", "svg"), default="png", help="image format (default png)"),
    ),
)
def runs_plot(ctx: Invocation) -> None:
    pyplot_free_figure = _figure_factory()
    documents = _evaluation_documents(ctx, ctx.args.run_id)
    if not documents:
        raise InvalidInputError(
            f"run {ctx.args.run_id} has no evaluation plot data (no {EVALUATION_DIR}/*.json)"
        )
    os.makedirs(ctx.args.output, exist_ok=True)
    written = []
    for name, data in documents:
        for plot_name, draw in _plotters(data):
            figure = pyplot_free_figure()
            draw(figure, data)
            path = os.path.join(ctx.args.output, f"{name}_{plot_name}.{ctx.args.format}")
            figure.savefig(path, format=ctx.args.format, dpi=110)
            written.append(path)
    for path in written:
        ctx.echo(path)


def _figure_factory() -> Callable[[], Any]:
    try:
        from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend
    except ImportError:
        raise InvalidInputError("autolog runs plot needs matplotlib: pip install 'autolog[plots]'") from None
    return lambda: Figure(figsize=(6, 4.5), layout="constrained")


def _evaluation_documents(ctx: Invocation, run_id: str) -> list[tuple[str, dict]]:
    client = ctx.client
    client.get_run(run_id)  # NotFoundError for an unknown run
    documents = []
    for info in client.list_artifacts(run_id, EVALUATION_DIR):
        if info.is_dir or not info.path.endswith(".json"):
            continue
        with open(client.download_artifacts(run_id, info.path), encoding="utf-8") as handle:
            documents.append((info.path.rsplit("/", 1)[-1][: -len(".json")], json.load(handle)))
    return documents


def _plotters(data: dict) -> list[tuple[str, Callable]]:
    if data.get("kind") == "search":
        return [("parallel_coordinates", _parallel_coordinates), ("param_vs_score", _param_vs_score)]
    available = [
        ("confusion_matrix", _confusion_matrix),
        ("roc_curve", _roc),
        ("precision_recall_curve", _precision_recall),
        ("calibration_curve", _calibration),
        ("predicted_vs_actual", _predicted_vs_actual),
        ("residual_histogram", _residuals),
        ("feature_importance", _importance),
    ]
    return [(name, draw) for name, draw in available if name in data]


def _confusion_matrix(figure, data) -> None:
    matrix, labels = data["confusion_matrix"]["counts"], data["confusion_matrix"]["labels"]
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes)
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    for row, values in enumerate(matrix):
        for column, value in enumerate(values):
            axes.text(column, row, f"{value:g}", ha="center", va="center", fontsize=8)
    axes.set(xlabel="predicted", ylabel="actual", title="confusion matrix")


def _curves(figure, curves, summary, xlabel, ylabel, title, diagonal) -> None:
    axes = figure.add_subplot()
    for curve in curves:
        label = curve["label"] + (
            f" ({summary.replace('_', ' ')} {curve[summary]:.3f})" if summary in curve else ""
        )
        axes.plot(curve["x"], curve["y"], label=label, linewidth=1.5)
    if diagonal:
        axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    axes.set(xlim=(0, 1), ylim=(0, 1.02), xlabel=xlabel, ylabel=ylabel, title=title)
    axes.legend(loc="lower right", fontsize=8)


def _roc(figure, data) -> None:
    _curves(figure, data["roc_curve"], "auc", "false positive rate", "true positive rate", "ROC curve", True)


def _precision_recall(figure, data) -> None:
    _curves(
        figure,
        data["precision_recall_curve"],
        "average_precision",
        "recall",
        "precision",
        "precision-recall curve",
        False,
    )


def _calibration(figure, data) -> None:
    curve = dict(data["calibration_curve"], label="observed")
    _curves(
        figure, [curve], "", "mean predicted probability", "fraction of positives", "calibration curve", True
    )


def _predicted_vs_actual(figure, data) -> None:
    sample = data["predicted_vs_actual"]
    axes = figure.add_subplot()
    axes.scatter(sample["actual"], sample["predicted"], s=10, alpha=0.7)
    low = min(sample["actual"] + sample["predicted"])
    high = max(sample["actual"] + sample["predicted"])
    axes.plot([low, high], [low, high], linestyle="--", color="grey", linewidth=1)
    axes.set(
        xlabel="actual",
        ylabel="predicted",
        title=f"predicted vs actual ({len(sample['actual'])} of {sample['rows']} rows)",
    )


def _residuals(figure, data) -> None:
    histogram = data["residual_histogram"]
    edges = histogram["edges"]
    axes = figure.add_subplot()
    axes.stairs(histogram["counts"], edges, fill=True, alpha=0.6)
    axes.set(xlabel="residual (actual - predicted)", ylabel="rows", title="residuals")


def _importance(figure, data) -> None:
    importance = data["feature_importance"]
    names, values = importance["features"][:25][::-1], importance["values"][:25][::-1]
    axes = figure.add_subplot()
    axes.barh(names, values, color=["#d1495b" if v < 0 else "#0b62c4" for v in values])
    axes.set(xlabel=importance["kind"], title="feature " + importance["kind"])
    axes.tick_params(axis="y", labelsize=7)


def _axis_values(column: dict) -> tuple[list, list]:
    if column["type"] == "number":
        return column["values"], []
    categories = list(dict.fromkeys(column["values"]))
    return [categories.index(value) for value in column["values"]], categories


def _parallel_coordinates(figure, data) -> None:
    names = list(data["params"])
    columns = [_axis_values(data["params"][name]) for name in names] + [(data["scores"], [])]
    names.append(data["score"])
    scaled, ends = [], []
    for values, categories in columns:
        finite = [v for v in values if v is not None]
        low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
        span = (high - low) or 1.0
        scaled.append([None if v is None else (v - low) / span for v in values])
        ends.append((categories[0], categories[-1]) if categories else (f"{low:.4g}", f"{high:.4g}"))
    axes = figure.add_subplot()
    for position, (low_text, high_text) in enumerate(ends):
        axes.axvline(position, color="grey", linewidth=0.8)
        axes.text(position, -0.04, str(low_text), ha="center", va="top", fontsize=8)
        axes.text(position, 1.04, str(high_text), ha="center", va="bottom", fontsize=8)
    scores = [s for s in data["scores"] if s is not None]
    low, high = (min(scores), max(scores)) if scores else (0.0, 1.0)
    from matplotlib import colormaps

    colormap = colormaps["viridis"]
    for row in range(len(data["scores"])):
        ys = [column[row] for column in scaled]
        score = data["scores"][row]
        color = colormap(((score - low) / ((high - low) or 1.0)) if score is not None else 0.0)
        axes.plot(range(len(names)), [float("nan") if y is None else y for y in ys], color=color, alpha=0.7)
    axes.set_xticks(range(len(names)), names, rotation=20, ha="right")
    axes.tick_params(axis="x", pad=14)
    axes.set_ylim(-0.12, 1.12)
    axes.set_yticks([])
    axes.set_title(f"parallel coordinates ({len(data['scores'])} candidates, colour: {data['score']})")


def _param_vs_score(figure, data) -> None:
    names = list(data["params"])
    for index, name in enumerate(names):
        axes = figure.add_subplot(1, len(names), index + 1)
        values, categories = _axis_values(data["params"][name])
        pairs = [(v, s) for v, s in zip(values, data["scores"]) if v is not None and s is not None]
        axes.scatter([p[0] for p in pairs], [p[1] for p in pairs], s=14)
        if categories:
            axes.set_xticks(range(len(categories)), categories, rotation=30, ha="right", fontsize=7)
        axes.set(xlabel=name, ylabel=data["score"] if index == 0 else None)
