"""Named loaders the pages call instead of writing SQL: one module per area, each figure defined once.

Every loader aggregates in DuckDB and returns only the rows a page shows (statistics, bins, grouped cells, the first
N rows of a detail list with the total beside them). They run through `dashboards.data.query`, so they inherit its
clinic restriction and its cache (per serving copy, clinic set, SQL and parameters): a loader called twice with the
same selection costs one query.
"""
