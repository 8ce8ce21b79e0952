"""Road networks and travel times: OSM import (offline), speeds, snapping, matrices, paths."""
