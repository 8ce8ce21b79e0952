"""おのみちバス GTFS-JP, partial (stops and feed_info only)."""
