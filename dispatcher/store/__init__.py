"""noriai: dispatcher.store."""
