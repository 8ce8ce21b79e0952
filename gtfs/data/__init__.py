"""Outside GTFS feeds shipped with noriai for connections (see SOURCES.md)."""
