"""Hand-built test frames in a dataset's contract columns and dtypes."""

from __future__ import annotations

import pandas as pd

from sop.contracts import CONTRACTS


def contract_frame(name: str, rows: list[tuple], int_dtype: str = "int64") -> pd.DataFrame:
    """A staged-looking frame of dataset `name` from positional tuples (contract order)."""
    contract = CONTRACTS[name]
    df = pd.DataFrame(rows, columns=list(contract.column_names))
    for col in contract.columns:
        if col.type == "date":
            df[col.name] = pd.to_datetime(df[col.name])
        elif col.type == "number":
            df[col.name] = df[col.name].astype(float)
        elif col.type == "int":
            df[col.name] = df[col.name].astype(int_dtype)
        else:
            df[col.name] = df[col.name].astype(object)
    return df
