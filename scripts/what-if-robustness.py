#!/usr/bin/env python3
"""Do the what-ifs' conclusions hold across the plausible ranges of the assumptions?

Reads the results folders of one design run on the historical scenario and on what-ifs (see
scripts/what-if-robustness.sh: same points, common random numbers, so point p of every folder
has the same assumptions) and prints, claim by claim, at how many points the claim holds, with
the median and 5-95% range of the quantity it is about, as a Markdown table. Each point's value
is the mean of its replicates. Rank correlations of the destination shares with the
parameters (Helton and Davis 2003, docs/sources.md) are listed when beyond chance. Only the
Python standard library.

    python3 scripts/what-if-robustness.py HISTORY BAN EXTENSION_THEN_BAN REDNOTE_RESTRICTED
"""

import csv
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path


REPLICATES = {}
PARAMETERS = {}


def load(folder):
    """{outcome: {point: mean over replicates}} and the manifest; each outcome's replicate
    values are kept in REPLICATES[folder] and the points' parameter values in PARAMETERS."""
    folder = Path(folder)
    manifest = json.loads((folder / "sweep.json").read_text())
    paths = [p["path"] for p in manifest["parameters"]]
    sums = defaultdict(lambda: defaultdict(list))
    with open(folder / "results.csv", newline="") as f:
        for row in csv.DictReader(f):
            p = int(row["point"])
            PARAMETERS.setdefault(p, {k: float(row[k]) for k in paths})
            if row["value"] != "":
                sums[row["outcome"]][p].append(float(row["value"]))
    reps = manifest["replicates"]
    REPLICATES[str(folder)] = sums
    table = {
        o: {p: statistics.fmean(v) for p, v in by.items() if len(v) == reps}
        for o, by in sums.items()
    }
    return table, manifest


def ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    for k, i in enumerate(order):
        r[i] = float(k)
    return r


def spearman(xs, ys):
    rx, ry = ranks(xs), ranks(ys)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    num = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    den = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return num / den if den else 0.0


def chance_level(n, tests):
    """|Spearman rho| that one of `tests` unrelated parameters exceeds by chance with
    probability 0.05 over n points (Bonferroni; rho is about normal with sd 1/sqrt(n - 1))."""
    z = statistics.NormalDist().inv_cdf(1 - 0.025 / tests)
    return z / (n - 1) ** 0.5


def drivers(values, skipped=(), top=5):
    """The parameters most rank-correlated with a quantity over the points, beyond chance."""
    pts = sorted(values)
    out = []
    names = [k for k in PARAMETERS[pts[0]] if k not in skipped]
    level = chance_level(len(pts), len(names))
    for k in names:
        xs = [PARAMETERS[p][k] for p in pts]
        if len(set(xs)) > 1:
            out.append((spearman(xs, [values[p] for p in pts]), k))
    out.sort(key=lambda t: -abs(t[0]))
    return [t for t in out[:top] if abs(t[0]) > level], level


def quantiles(xs):
    xs = sorted(xs)
    at = lambda q: xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]
    return at(0.5), at(0.05), at(0.95)


def show(x, unit):
    if unit == "%":
        return f"{100 * x:.0f}%"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.1f} M"
    if abs(x) >= 1e3:
        return f"{x / 1e3:.0f} k"
    return f"{x:.0f}"


def main(argv):
    if len(argv) != 5:
        sys.exit(__doc__)
    (hist, hm), (ban, bm), (ext, em), (red, rm) = (load(d) for d in argv[1:])
    for m in (bm, em, rm):
        if (m["design"], m["samples"], m["seed"], m["design_seed"]) != (
            hm["design"],
            hm["samples"],
            hm["seed"],
            hm["design_seed"],
        ):
            sys.exit("the folders are not one design with common random numbers")
    lost = lambda t, p, d: t[f"{p}.main_users_lost_by_{d}"]
    apr, jan = "2025-04-30", "2025-01-31"
    west = ["YouTube", "Instagram", "Facebook"]
    rows = []

    def claim(text, values, holds, unit):
        pts = sorted(values)
        xs = [values[p] for p in pts]
        ok = sum(1 for p in pts if holds(p))
        med, lo, hi = quantiles(xs)
        rows.append(
            (text, f"{ok} of {len(pts)}", f"{show(med, unit)} [{show(lo, unit)} – {show(hi, unit)}]")
        )

    # The ban enforced: where do TikTok's users go by Apr 30?
    tt = lost(ban, "TikTok", apr)
    pts = [p for p in tt if all(p in lost(ban, w, apr) for w in west + ["RedNote"])]
    gain = {w: {p: -lost(ban, w, apr)[p] for p in pts} for w in west + ["RedNote"]}
    biggest = {p: max(gain[w][p] for w in west + ["RedNote"]) / tt[p] for p in pts}
    claim(
        "Ban enforced: no app gains more than half of TikTok's main-app users by Apr 30 "
        "(largest gain as a share of TikTok's loss)",
        biggest,
        lambda p: biggest[p] < 0.5,
        "%",
    )
    for w in west:
        share = {p: gain[w][p] / tt[p] for p in pts}
        claim(
            f"Ban enforced: {w} gains at least a fifth of TikTok's main-app users by Apr 30 "
            f"({w}'s share)",
            share,
            lambda p, s=share: s[p] >= 0.2,
            "%",
        )
    rn = {p: gain["RedNote"][p] / tt[p] for p in pts}
    claim(
        "Ban enforced: RedNote gains under 1% of TikTok's main-app users by Apr 30 "
        "(RedNote's share)",
        rn,
        lambda p: rn[p] < 0.01,
        "%",
    )
    # The ban enforced against history: RedNote keeps more of its peak.
    kb, kh = ban["RedNote.retained_30d_after_peak"], hist["RedNote.retained_30d_after_peak"]
    both = [p for p in kb if p in kh]
    diff = {p: kb[p] - kh[p] for p in both}
    claim(
        "Ban enforced: RedNote keeps a larger share of its peak daily users 30 days on than in "
        "history (difference, points of share)",
        diff,
        lambda p: diff[p] > 0,
        "%",
    )
    # The extension, then the ban: more go to RedNote than in the immediate ban.
    re_, rb = lost(ext, "RedNote", apr), lost(ban, "RedNote", apr)
    both = [p for p in re_ if p in rb]
    more = {p: rb[p] - re_[p] for p in both}
    claim(
        "Extension then ban: RedNote gains more main-app users by Apr 30 than in the immediate "
        "ban (difference)",
        more,
        lambda p: more[p] > 0,
        "",
    )
    ew = {p: max(-lost(ext, w, apr)[p] for w in west) / lost(ext, "TikTok", apr)[p] for p in both}
    claim(
        "Extension then ban: no app gains more than half of TikTok's main-app users by Apr 30 "
        "(largest share)",
        ew,
        lambda p: ew[p] < 0.5,
        "%",
    )
    # RedNote restricted: TikTok loses fewer main-app users by Apr 30 than in history.
    tr, th = lost(red, "TikTok", apr), lost(hist, "TikTok", apr)
    both = [p for p in tr if p in th]
    back = {p: th[p] - tr[p] for p in both}
    claim(
        "RedNote restricted: TikTok's loss by Apr 30 is smaller than in history (history minus "
        "what-if)",
        back,
        lambda p: back[p] > 0,
        "",
    )
    # History: people come back to TikTok between Jan 31 and Apr 30.
    hj, ha = lost(hist, "TikTok", jan), lost(hist, "TikTok", apr)
    both = [p for p in hj if p in ha]
    returned = {p: hj[p] - ha[p] for p in both}
    claim(
        "History: TikTok has fewer main-app users lost by Apr 30 than by Jan 31 (people come "
        "back; Jan 31 minus Apr 30)",
        returned,
        lambda p: returned[p] > 0,
        "",
    )
    # What decides the destination split when the ban is enforced, and how much is noise.
    winners = defaultdict(int)
    for p in pts:
        winners[max(west + ["RedNote"], key=lambda w: gain[w][p])] += 1
    notes = [
        "Ban enforced, the app that gains most by Apr 30: "
        + ", ".join(f"{w} at {n} points" for w, n in sorted(winners.items(), key=lambda t: -t[1]))
    ]
    per_rep = REPLICATES[argv[2]]
    tt_r = per_rep[f"TikTok.main_users_lost_by_{apr}"]
    spread = []
    for p in pts:
        shares = [
            max(-per_rep[f"{w}.main_users_lost_by_{apr}"][p][r] for w in west) / tt_r[p][r]
            for r in range(len(tt_r[p]))
        ]
        if len(shares) > 1:
            spread.append(max(shares) - min(shares))
    if spread:
        med, lo, hi = quantiles(spread)
        notes.append(
            "Seed noise of the largest share when the ban is enforced (difference between the "
            f"replicates of a point): median {100 * med:.0f} points of share, 95% {100 * hi:.0f}"
        )
    for name, values in [
        ("largest gain as a share of TikTok's loss (ban enforced)", biggest),
        ("YouTube's share (ban enforced)", {p: gain["YouTube"][p] / tt[p] for p in pts}),
        ("Facebook's share (ban enforced)", {p: gain["Facebook"][p] / tt[p] for p in pts}),
        ("Instagram's share (ban enforced)", {p: gain["Instagram"][p] / tt[p] for p in pts}),
    ]:
        found, level = drivers(values, bm.get("skipped", []))
        top = ", ".join(f"{k} ({r:+.2f})" for r, k in found) or "none"
        notes.append(
            f"Rank-correlated with the {name} beyond chance (|rho| > {level:.2f}): {top}"
        )
    print(
        f"{hm['design']} design, {hm['points']} points x {hm['replicates']} replicates, "
        f"{hm['agents']} agents, seed {hm['seed']}; each point the mean of its replicates\n"
    )
    print("| claim | holds at | median [5% – 95%] over the points |")
    print("|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    print()
    for n in notes:
        print(f"- {n}")


if __name__ == "__main__":
    main(sys.argv)
