"""Media service: probe, thumbnails, filmstrips, waveforms, proxies, folder scans, range server."""

__version__ = "0.1.0"
