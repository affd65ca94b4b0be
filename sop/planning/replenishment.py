"""Stock transfers and extra planned production that clear projected finished-goods shortfalls.

Both read the projected balance of a period (sop.planning.balance.projected_balance); the
horizon is its months after the period.

- stock_transfers: for each sku, a warehouse whose closing stock goes below safety stock within
  the first `months` months (deficit = max over them of safety stock - closing) receives from
  warehouses of the sku whose closing stays above safety stock over the whole horizon (surplus
  = min over it of closing - safety stock, at most the stock available now, the first month's
  opening: future production cannot be shipped today); largest deficit first, from the largest
  remaining surplus, whole units (deficits rounded up, surpluses down). In ERP terms a transfer
  lowers the origin's on hand and raises the destination's in transit in the latest
  finished-goods snapshot: both warehouses' closing moves by qty in every month.
- planned_production: the extra production by sku x month that lifts every warehouse's closing
  (after the transfers) to its safety stock over the horizon. Receipts are split by demand
  share s_w, so the extra cumulative production needed by month m is
  C_m = max over w of (safety stock - closing)_w,m / s_w, made non-decreasing and rounded up;
  month m plans C_m - C_(m-1), on the line that planned the sku most (ties: lowest line id; a
  sku never planned: the line with most spare capacity), in the month's plan week with the
  smallest maintenance loss (the first such), as gross_qty = qty / (1 - loss) rounded up. A
  month whose every week is lost to maintenance hands its qty to the month before. A warehouse
  with no demand share gets nothing from production (only transfers can help it).

Line capacity per week is `line_rates[line]` or the line's largest weekly planned total; a
month's capacity is the sum over its plan weeks of that x (1 - maintenance loss).
Frames are new; inputs are never mutated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop.periods import parse_period
from sop.planning.balance import KEY, demand_shares, production_by_month

UNASSIGNED = "unassigned"  # the line of a sku when the ERP knows no production line
TRANSFER_COLUMNS = ("sku", "product", "from_warehouse_id", "from_warehouse", "to_warehouse_id",
                    "to_warehouse", "qty", "need_month", "value")
PRODUCTION_COLUMNS = ("sku", "product", "ds", "line_id", "qty", "current_plan_qty",
                      "line_capacity", "line_load", "capacity_shortfall", "plan_week",
                      "gross_qty", "value")
CAPACITY_COLUMNS = ("line_id", "ds", "line_capacity", "current_load")
_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def _horizon(balance: pd.DataFrame, period: str, months: int | None = None) -> pd.DataFrame:
    start = parse_period(period)
    keep = balance["ds"] > start
    if months is not None:
        keep &= balance["ds"] <= start + pd.DateOffset(months=months)
    return balance[keep].sort_values(KEY + ["ds"])


def _lookup(frame: pd.DataFrame, key: str, col: str) -> pd.Series:
    return frame.drop_duplicates(key).set_index(key)[col]


def stock_transfers(balance: pd.DataFrame, period: str, months: int, products: pd.DataFrame,
                    warehouses: pd.DataFrame) -> pd.DataFrame:
    """Transfers between warehouses of a sku that lift those going below safety stock within
    `months` months (e.g. round(stockout_weeks / (52/12))) without taking any origin below its
    own safety stock in any horizon month."""
    horizon = _horizon(balance, period)
    horizon = horizon.assign(gap=horizon["safety_stock"] - horizon["closing"])
    window = _horizon(horizon, period, months)
    deficit = np.ceil(window.groupby(KEY)["gap"].max())
    deficit = deficit[deficit > 0]
    need = window[window["gap"] > 0].groupby(KEY)["ds"].min()
    on_hand = horizon.groupby(KEY)["opening"].first()  # only stock held now can move
    surplus = np.floor(np.minimum(-horizon.groupby(KEY)["gap"].max(), on_hand))
    surplus = surplus[surplus > 0]
    offers = {sku: dict(sorted(g.droplevel("sku").items()))
              for sku, g in surplus.groupby(level="sku")}
    rows = []
    for sku, short in deficit.groupby(level="sku", sort=True):
        spare = offers.get(sku, {})
        for (_, to), left in sorted(short.items(), key=lambda kv: (-kv[1], kv[0][1])):
            while left > 0 and spare:
                origin = max(spare, key=lambda w: spare[w])  # sorted: ties -> lowest id
                qty = min(left, spare[origin])
                rows.append((sku, origin, to, float(qty), need[(sku, to)]))
                left -= qty
                spare[origin] -= qty
                if spare[origin] <= 0:
                    del spare[origin]
    out = pd.DataFrame(rows, columns=["sku", "from_warehouse_id", "to_warehouse_id", "qty",
                                      "need_month"])
    names = _lookup(warehouses, "warehouse_id", "name")
    out["product"] = out["sku"].map(_lookup(products, "sku", "name"))
    out["from_warehouse"] = out["from_warehouse_id"].map(names)
    out["to_warehouse"] = out["to_warehouse_id"].map(names)
    out["qty"] = out["qty"].astype(float)
    out["need_month"] = pd.to_datetime(out["need_month"])
    out["value"] = out["qty"] * out["sku"].map(_lookup(products, "sku", "list_price"))
    return out[list(TRANSFER_COLUMNS)].reset_index(drop=True)


def _lines(production_plan: pd.DataFrame, line_rates: dict | None) -> list:
    return sorted(set(production_plan["line_id"].dropna()) | set(line_rates or {}))


def _weekday(production_plan: pd.DataFrame) -> int:
    """The weekday plan weeks start on (the plan's most common; Monday for an empty plan)."""
    days = production_plan["plan_week"].dropna().dt.weekday
    return int(days.mode().iloc[0]) if len(days) else 0


def _week_kept(production_plan: pd.DataFrame, maintenance_plan: pd.DataFrame, months,
               lines: list) -> pd.DataFrame:
    """line_id, ds, plan_week, kept: each line's plan weeks of each month and the part of a
    week's production left after maintenance, as production_by_month computes it."""
    day = _DAYS[_weekday(production_plan)]
    weeks = pd.DataFrame(
        [(m, w) for m in months
         for w in pd.date_range(m, m + pd.offsets.MonthEnd(0), freq=f"W-{day}")],
        columns=["ds", "plan_week"])
    grid = pd.DataFrame({"line_id": pd.Series(lines, dtype=object)}).merge(weeks, how="cross")
    probe = pd.DataFrame({"plan_week": grid["plan_week"], "line_id": grid["line_id"],
                          "sku": np.arange(len(grid)), "planned_qty": 1.0})
    kept = production_by_month(probe, maintenance_plan).set_index("sku")["qty"]
    return grid.assign(kept=kept.reindex(np.arange(len(grid))).to_numpy())


def capacity_by_line_month(production_plan: pd.DataFrame, maintenance_plan: pd.DataFrame,
                           months, line_rates: dict | None = None) -> pd.DataFrame:
    """line_id, ds, line_capacity (weekly rate x (1 - maintenance loss) over the month's plan
    weeks) and current_load (the line's planned production that month, after maintenance)."""
    lines, plan = _lines(production_plan, line_rates), production_plan
    weekly = plan.groupby(["line_id", "plan_week"])["planned_qty"].sum().groupby("line_id").max()
    rate = {line: float((line_rates or {}).get(line, weekly.get(line, 0.0))) for line in lines}
    cap = _week_kept(plan, maintenance_plan, pd.DatetimeIndex(months), lines)
    cap["line_capacity"] = cap["line_id"].map(rate) * cap["kept"]
    cap = cap.groupby(["line_id", "ds"], as_index=False)["line_capacity"].sum()
    load = production_by_month(plan.assign(sku=plan["line_id"]), maintenance_plan).rename(
        columns={"sku": "line_id", "qty": "current_load"})
    cap = cap.merge(load, on=["line_id", "ds"], how="left")
    return cap.fillna({"current_load": 0.0})[list(CAPACITY_COLUMNS)]


def _shares(balance: pd.DataFrame) -> pd.Series:
    """Each warehouse's share of its sku's production, as projected_balance split it: its part
    of the sku's receipts where there are any, else demand_shares of the balance's demand (the
    same unless a shipping plan added shipments beyond demand)."""
    got = balance.groupby(KEY)["receipts"].sum()
    total = got.groupby(level="sku").transform("sum")
    return (got / total.where(total > 0, 1.0)).where(total > 0, demand_shares(balance))


def _moved(transfers: pd.DataFrame | None) -> pd.Series:
    """Net stock moved into each sku x warehouse by the transfers."""
    if transfers is None or transfers.empty:
        return pd.Series(dtype=float, name="moved",
                         index=pd.MultiIndex.from_arrays([[], []], names=KEY))
    t = transfers
    moves = pd.concat([
        pd.DataFrame({"sku": t["sku"], "warehouse_id": t["from_warehouse_id"], "moved": -t["qty"]}),
        pd.DataFrame({"sku": t["sku"], "warehouse_id": t["to_warehouse_id"], "moved": t["qty"]})])
    return moves.groupby(KEY)["moved"].sum()


def _extra_by_month(horizon: pd.DataFrame, shares: pd.Series, moved: pd.Series) -> pd.DataFrame:
    """sku, ds, qty: the rounded-up increments of C_m (see the module doc), positive ones."""
    closing = horizon["closing"] + horizon.join(moved, on=KEY)["moved"].fillna(0.0)
    share = horizon.join(shares.rename("share"), on=KEY)["share"].fillna(0.0)
    gap = (horizon["safety_stock"] - closing).clip(lower=0.0)
    need = (gap / share.where(share > 0, 1.0)).where(share > 0, 0.0)
    cum = need.groupby([horizon["sku"], horizon["ds"]]).max()
    cum = np.ceil(cum.groupby(level="sku").cummax())
    qty = (cum - cum.groupby(level="sku").shift(1).fillna(0.0)).rename("qty")
    return qty[qty > 0].reset_index()


def _line_of(extra: pd.DataFrame, production_plan: pd.DataFrame, cap: pd.DataFrame) -> dict:
    """sku -> line: the line that planned it most (ties: lowest id); a sku never planned goes,
    largest extra first, to the line with most spare capacity over the horizon (after the
    extras already given to it)."""
    plan = production_plan[production_plan["planned_qty"] > 0]
    most = plan.groupby(["sku", "line_id"], as_index=False)["planned_qty"].sum().sort_values(
        ["sku", "planned_qty", "line_id"], ascending=[True, False, True]).drop_duplicates("sku")
    line_of = dict(zip(most["sku"], most["line_id"], strict=True))
    spare = (cap["line_capacity"] - cap["current_load"]).groupby(cap["line_id"]).sum().to_dict()
    total = extra.groupby("sku")["qty"].sum()
    for sku in total.index.intersection(list(line_of)):
        spare[line_of[sku]] = spare.get(line_of[sku], 0.0) - total[sku]
    for sku, qty in sorted(total.drop(list(line_of), errors="ignore").items(),
                           key=lambda kv: (-kv[1], kv[0])):
        if not spare:  # no line known at all: planned, its capacity unknown (shortfall = qty)
            line_of[sku] = UNASSIGNED
            continue
        line_of[sku] = max(sorted(spare), key=lambda line: spare[line])
        spare[line_of[sku]] -= qty
    return line_of


def _placed(extra: pd.DataFrame, kept: pd.DataFrame, months) -> pd.DataFrame:
    """Each extra row with its line's best plan week (smallest loss, the first such); a month
    whose weeks are all lost hands its qty to the month before (the first month keeps it, with
    no week)."""
    usable = set(zip(kept.loc[kept["kept"] > 0, "line_id"], kept.loc[kept["kept"] > 0, "ds"],
                     strict=True))
    rows = []
    for (sku, line), g in extra.groupby(["sku", "line_id"], sort=True):
        qty, carry = g.set_index("ds")["qty"], 0.0
        for i, ds in enumerate(reversed(months)):
            carry += float(qty.get(ds, 0.0))
            if carry > 0 and ((line, ds) in usable or i == len(months) - 1):
                rows.append((sku, line, ds, carry))
                carry = 0.0
    out = pd.DataFrame(rows, columns=["sku", "line_id", "ds", "qty"])
    best = kept[kept["kept"] > 0].sort_values(["line_id", "ds", "kept", "plan_week"],
                                              ascending=[True, True, False, True])
    best = best.drop_duplicates(["line_id", "ds"])
    return out.merge(best, on=["line_id", "ds"], how="left")


def planned_production(balance: pd.DataFrame, period: str, production_plan: pd.DataFrame,
                       maintenance_plan: pd.DataFrame, products: pd.DataFrame,
                       transfers: pd.DataFrame | None = None,
                       line_rates: dict | None = None) -> pd.DataFrame:
    """Extra production by sku x month (see the module doc) with the line, the plan week and
    gross quantity to enter, and the line's capacity and load that month."""
    horizon = _horizon(balance, period)
    extra = horizon.iloc[0:0] if horizon.empty else _extra_by_month(
        horizon, _shares(balance), _moved(transfers))
    if extra.empty:
        dtypes = {"sku": object, "product": object, "line_id": object,
                  "ds": "datetime64[ns]", "plan_week": "datetime64[ns]"}
        return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, float)) for c in PRODUCTION_COLUMNS})
    months = pd.DatetimeIndex(sorted(horizon["ds"].unique()))
    cap = capacity_by_line_month(production_plan, maintenance_plan, months, line_rates)
    extra["line_id"] = extra["sku"].map(_line_of(extra, production_plan, cap))
    kept = _week_kept(production_plan, maintenance_plan, months,
                      _lines(production_plan, line_rates))
    out = _placed(extra, kept, months)
    out["gross_qty"] = np.ceil(out["qty"] / out["kept"])
    current = production_by_month(production_plan, maintenance_plan).rename(
        columns={"qty": "current_plan_qty"})
    out = out.merge(current, on=["sku", "ds"], how="left").merge(cap, on=["line_id", "ds"],
                                                                   how="left")
    out = out.fillna({"current_plan_qty": 0.0, "line_capacity": 0.0, "current_load": 0.0})
    added = out.groupby(["line_id", "ds"])["qty"].transform("sum")
    out["line_load"] = out["current_load"] + added
    out["capacity_shortfall"] = (out["line_load"] - out["line_capacity"]).clip(lower=0.0)
    out["product"] = out["sku"].map(_lookup(products, "sku", "name"))
    out["value"] = out["qty"] * out["sku"].map(_lookup(products, "sku", "list_price"))
    out = out.sort_values(["sku", "ds"]).reset_index(drop=True)
    return out[list(PRODUCTION_COLUMNS)]
