"""noriai: rider_app."""
