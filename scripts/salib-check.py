#!/usr/bin/env python3
"""Cross-check of `exodus sensitivity` against SALib on the same samples (not run in CI).

    pip install SALib pandas
    exodus sweep SWEEP.toml --out results/sweep-x      # a saltelli or morris design
    exodus sensitivity results/sweep-x
    python3 scripts/salib-check.py results/sweep-x

Reads sweep.json and results.csv, averages each point's replicates as exodus does, runs
SALib's Sobol' analysis (calc_second_order=False: points in SALib's order A, AB_1..AB_d, B per
base row) or Morris analysis (on the unit-cube coordinates of the points), and prints SALib's
indices beside exodus's (sensitivity.csv) with their largest difference. SALib's Sobol' first
order is the uncentred Saltelli (2010) estimator and its total is Jansen's: totals agree to
rounding, first orders within sampling error of each other. Exits 1 when a total index or a
Morris mu* differs by more than 1e-6 (relative).
"""
import json
import math
import sys

import numpy as np
import pandas as pd
from SALib.analyze import morris, sobol


def unit(value, p):
    if p["distribution"] == "uniform":
        return (value - p["low"]) / (p["high"] - p["low"])
    if p["distribution"] == "log-uniform":
        return math.log(value / p["low"]) / math.log(p["high"] / p["low"])
    raise SystemExit(f"{p['path']}: distribution {p['distribution']} not handled by this check")


def main(folder):
    manifest = json.load(open(f"{folder}/sweep.json"))
    params = manifest["parameters"]
    names = [p["path"] for p in params]
    d = len(names)
    results = pd.read_csv(f"{folder}/results.csv", keep_default_na=True)
    ours = pd.read_csv(f"{folder}/sensitivity.csv", keep_default_na=False)
    problem = {"num_vars": d, "names": names, "bounds": [[0.0, 1.0]] * d}
    worst = 0.0
    for outcome in manifest["outcomes"]:
        rows = results[results["outcome"] == outcome]
        means = rows.groupby("point")["value"].mean().reindex(range(manifest["points"]))
        if means.isna().any():
            print(f"{outcome}: undefined at some points, skipped")
            continue
        y = means.to_numpy()
        mine = ours[ours["outcome"] == outcome].set_index(["parameter", "index"])["estimate"]
        print(f"\n{outcome}")
        if manifest["design"] == "saltelli":
            s = sobol.analyze(problem, y, calc_second_order=False, print_to_console=False)
            pairs = [("total", "ST"), ("first_order", "S1")]
        else:
            x = rows.drop_duplicates("point").sort_values("point")[names].to_numpy()
            x = np.array([[unit(v, p) for v, p in zip(row, params)] for row in x])
            s = morris.analyze(problem, x, y, num_levels=manifest["levels"], print_to_console=False)
            pairs = [("mu_star", "mu_star"), ("mu", "mu"), ("sigma", "sigma")]
        for i, name in enumerate(names):
            line = f"  {name:60s}"
            for ours_name, theirs in pairs:
                a = float(mine.get((name, ours_name), float("nan")))
                b = float(s[theirs][i])
                line += f"  {ours_name} exodus {a: .5g} SALib {b: .5g}"
                if ours_name in ("total", "mu_star"):
                    scale = max(abs(a), abs(b), 1e-12)
                    worst = max(worst, abs(a - b) / scale)
            print(line)
    print(f"\nlargest relative difference of total indices / mu*: {worst:.3g}")
    return 0 if worst < 1e-6 else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sys.exit(main(sys.argv[1]))
