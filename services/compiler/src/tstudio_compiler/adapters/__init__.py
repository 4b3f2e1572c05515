"""PyAV, Pillow and encoder probing behind small interfaces."""
