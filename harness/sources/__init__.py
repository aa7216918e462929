"""Where a device comes from: a capture replayed, a live Android device, a live iPhone.

All sources produce the same :mod:`simulator.device` model through the same parsers, so a
capture and the device it was captured from read identically.
"""
