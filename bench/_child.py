"""Entry point of one measurement subprocess: `python _child.py WORKLOAD SIDE PARAMS_JSON OUT`.

Runs `workloads.WORKLOAD.<SIDE>_side(**params)` and writes its dict to OUT as JSON. Anything the
libraries print goes to this process's stdout/stderr, which the orchestrator keeps for errors.
"""

import importlib
import json
import os
import sys


def main() -> None:
    workload, side, params, out = sys.argv[1:5]
    out = os.path.abspath(out)
    module = importlib.import_module(f"workloads.{workload}")
    result = getattr(module, f"{side}_side")(**json.loads(params))
    with open(out, "w") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    main()
