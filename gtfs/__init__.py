"""Publishing (GTFS-Flex with GTFS-JP fields, GTFS-Realtime) and reading outside GTFS feeds."""
