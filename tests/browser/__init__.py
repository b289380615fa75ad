"""Browser checks of the integration in Home Assistant's real web UI."""
