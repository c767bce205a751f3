"""carewindow reports: HTML for managers, from the warehouse's aggregates."""
