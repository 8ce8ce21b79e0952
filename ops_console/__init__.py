"""noriai: ops_console."""
