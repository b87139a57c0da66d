"""The host's watchdog: checks the forecast service and the host, alerts on change."""
