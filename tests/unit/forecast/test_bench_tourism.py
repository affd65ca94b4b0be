"""bench.forecast_tourism on two small states: the table's shape, and the project's
quarterly forecast against seasonal naive and against the same data read as months."""

import numpy as np

from bench.forecast_tourism import ALL, LEVEL_NAMES, OLD, PROJECT, run, tourism_series

STATES = ("ACT", "Northern Territory")


def test_tourism_maps_onto_the_project_hierarchy():
    series, areas = tourism_series(STATES)
    per_level = series.drop_duplicates("unique_id")["level"].value_counts().to_dict()
    n_areas = areas["unique_id"].nunique()
    assert per_level == {"total": 1, "category": 4, "region": 2, "category_region": 8,
                         "sku_region": 4 * n_areas}
    total = series[series["level"] == "total"].set_index("ds")["y"]
    bottoms = series[series["level"] == "sku_region"].groupby("ds")["y"].sum()
    np.testing.assert_allclose(total, bottoms.loc[total.index])
    assert (series["ds"].dt.month.isin([1, 4, 7, 10])).all()


def test_tourism_table_on_two_states():
    table, info = run(STATES, reference=True, old=True)
    assert list(table.columns) == [*LEVEL_NAMES.values(), ALL]
    assert {"seasonal naive", "AutoETS base", "AutoETS + MinTrace(mint_shrink)",
            PROJECT}.issubset(table.index)
    assert not any(name.startswith("FPP3") for name in table.index)  # full data only
    assert table.notna().all().all() and (table > 0).all().all()
    assert table.loc[PROJECT, "total"] < table.loc["seasonal naive", "total"]
    old = next(name for name in table.index if name.startswith(OLD))
    assert table.loc[PROJECT, ALL] < table.loc[old, ALL]
    assert info["n_series"]["region"] == tourism_series(STATES)[1]["unique_id"].nunique()
