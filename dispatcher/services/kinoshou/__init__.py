"""noriai: dispatcher.services.kinoshou (an example service area, not a real service)."""
