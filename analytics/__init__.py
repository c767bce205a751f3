"""carewindow analytics: loading, rebuilding and checking the DuckDB warehouse."""
