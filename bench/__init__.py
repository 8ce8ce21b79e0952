"""noriai: bench."""
