"""noriai: driver_app."""
