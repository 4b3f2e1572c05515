"""The outside world behind small interfaces: onnxruntime, PyAV, Pillow, files."""
