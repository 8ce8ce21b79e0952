"""noriai: dispatcher.services."""
