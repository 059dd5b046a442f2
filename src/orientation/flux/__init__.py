"""Bulk orientation of CAF flux files (CSV, JSON Lines, Parquet): readers, orchestration, outputs."""
