"""carewindow flows and command line: orchestration only; logic lives in analytics/, reports/."""
