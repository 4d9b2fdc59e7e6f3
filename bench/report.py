"""Turn merged samples into rows (median, spread, ratio, target met) and write them out."""

from __future__ import annotations

import json
from pathlib import Path

from _stats import summarize


def _met(target, a_med: float | None, extra: dict) -> bool | None:
    if target is None or a_med is None:
        return None
    op, value = target
    if op == "<=":
        return a_med <= value
    if op == ">=":
        return a_med >= value
    if op == "<=%plain":
        plain = extra.get("plain")
        return None if plain is None else a_med <= plain * (1 + value / 100)
    raise ValueError(op)


def _target_text(target, unit: str) -> str:
    if target is None:
        return "-"
    op, value = target
    if op == "<=%plain":
        return f"<= plain +{value:g}%"
    return f"{op} {value:g} {unit}"


def _ratio(a: dict | None, m: dict | None) -> float | None:
    if not a or not m:
        return None
    return m["median"] / a["median"] if a["median"] > 0 else None


def build_rows(rows, samples: dict, errors: dict) -> list[dict]:
    """samples[(variant, side)] -> {key: [values]}; errors[(variant, side)] -> message."""
    out = []
    plain_lm = summarize(samples.get(("imports", "autolog"), {}).get("sklearn_lm_plain_ms", []))
    for row in rows:
        a = (
            summarize(samples.get((row.variant, "autolog"), {}).get(row.autolog_key, []))
            if row.autolog_key
            else None
        )
        mv = row.mlflow_variant or row.variant
        m = summarize(samples.get((mv, "mlflow"), {}).get(row.mlflow_key, [])) if row.mlflow_key else None
        err = errors.get((row.variant, "autolog")) if row.autolog_key else None
        merr = errors.get((mv, "mlflow")) if row.mlflow_key else None
        extra = {"plain": plain_lm["median"] if plain_lm else None}
        out.append(
            {
                "label": row.label,
                "variant": row.variant,
                "unit": row.unit,
                "autolog": a,
                "mlflow": m,
                "ratio": _ratio(a, m),
                "target": _target_text(row.target, row.unit),
                "met": _met(row.target, a and a["median"], extra),
                "note": row.note,
                "autolog_error": err,
                "mlflow_error": merr,
            }
        )
    return out


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    ax = abs(x)
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def cell(s: dict | None, error: str | None) -> str:
    if error:
        return "ERROR"
    if s is None:
        return "-"
    if s["n"] == 1:
        return _fmt(s["median"])
    lo, hi = (s["p25"], s["p75"]) if s["n"] >= 4 else (s["min"], s["max"])
    return f"{_fmt(s['median'])} [{_fmt(lo)}..{_fmt(hi)}]"


def _met_text(met) -> str:
    return {True: "yes", False: "NO", None: "-"}[met]


def table_lines(rows: list[dict]) -> list[list[str]]:
    head = ["workload", "autolog", "MLflow", "MLflow/autolog", "target", "met"]
    body = [
        [
            r["label"],
            cell(r["autolog"], r["autolog_error"]),
            cell(r["mlflow"], r["mlflow_error"]),
            f"{r['ratio']:,.1f}x" if r["ratio"] else "-",
            r["target"],
            _met_text(r["met"]),
        ]
        for r in rows
    ]
    return [head] + body


def print_table(rows: list[dict]) -> None:
    lines = table_lines(rows)
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for i, line in enumerate(lines):
        print("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(line, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def markdown(rows: list[dict], meta: dict, errors: dict) -> str:
    lines = table_lines(rows)
    md = [
        f"# autolog vs MLflow {meta['machine'].get('mlflow')}: benchmark results",
        "",
        f"- finished: {meta['machine']['date']}; mode: {'quick' if meta['quick'] else 'full'}; "
        f"command: `{meta['command']}`",
        f"- machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, "
        f"{meta['machine']['memory_gib']} GiB; {meta['machine']['os']}; Python "
        f"{meta['machine']['python']}",
        f"- autolog {meta['machine']['autolog']} at {meta['machine']['autolog_commit']}; "
        f"scikit-learn {meta['machine']['autolog_venv'].get('scikit-learn')} (both venvs: "
        f"{meta['machine']['mlflow_venv'].get('scikit-learn')})",
        f"- machine load (1/5/15-min load average; CPU pressure avg60 %): before "
        f"{meta.get('load_before')}, after {meta.get('load_after')}; total "
        f"{meta.get('total_seconds')} s",
        f"- both sides ran with {meta.get('child_env') or 'the environment as it was'} "
        f"(and {meta['machine'].get('env') or 'no OPENBLAS_* settings'} inherited)",
        "- cells: median [IQR p25..p75, or min..max under 4 samples]; ratio of medians; "
        "the target applies to autolog",
    ]
    md += [f"- {note}" for note in meta.get("notes", [])] + [""]
    md.append("| " + " | ".join(lines[0]) + " |")
    md.append("|" + "---|" * len(lines[0]))
    md += ["| " + " | ".join(c.replace("|", "/") for c in line) + " |" for line in lines[1:]]
    if errors:
        md += ["", "## Errors", ""]
        md += [f"- `{k}`: {v.splitlines()[-1] if v else ''}" for k, v in errors.items()]
    return "\n".join(md) + "\n"


def write(
    results_dir: Path, rows: list[dict], meta: dict, samples: dict, checks: dict, errors: dict
) -> tuple[Path, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = "quick" if meta["quick"] else "full"
    errs = {f"{k[0]}/{k[1]}": v for k, v in errors.items()}
    data = {
        "meta": meta,
        "rows": rows,
        "errors": errs,
        "samples": {f"{k[0]}/{k[1]}": v for k, v in samples.items()},
        "checks": {f"{k[0]}/{k[1]}": v for k, v in checks.items()},
    }
    jpath = results_dir / f"{stem}.json"
    jpath.write_text(json.dumps(data, indent=1, default=str))
    mpath = results_dir / f"{stem}.md"
    mpath.write_text(markdown(rows, meta, errs))
    return jpath, mpath


if __name__ == "__main__":  # re-render the Markdown from a JSON file
    import sys

    src = Path(sys.argv[1])
    doc = json.loads(src.read_text())
    src.with_suffix(".md").write_text(markdown(doc["rows"], doc["meta"], doc["errors"]))
    print(f"wrote {src.with_suffix('.md')}")
