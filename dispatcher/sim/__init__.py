"""noriai: dispatcher.sim."""
