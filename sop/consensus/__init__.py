"""The demand review: departments' adjustments to the statistical forecast, the consensus,
the approved plan, and the value each step adds.

- model.py: the shapes (adjustments, cells, versions), the reason codes and the levels;
- split.py: adjustments split down to sku x region x customer cells, the consensus merge;
- scope.py: what a department may adjust for a period, and the review rows it is sent;
- intake.py: a returned forecast-review workbook (or the SQL dataset) read and checked;
- store.py: versions in the warehouse (submissions, consensus, approved);
- fva.py: every version scored against the actuals that arrived since (the stairstep).
"""
