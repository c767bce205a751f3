"""carewindow flows and command line: orchestration only; the logic lives in analytics/ and reports/."""
