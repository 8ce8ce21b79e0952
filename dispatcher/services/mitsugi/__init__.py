"""noriai: dispatcher.services.mitsugi."""
