"""中国バス GTFS-JP, partial (stops, routes, Mitsugi trips, calendar, 5 runs' stop times)."""
