"""Booking through LINE: signature check, the dialogue as pure code, and the reply client."""
