"""noriai: dispatcher.api."""
