"""Recognition service: faces, text, objects and shot cuts with ONNX Runtime."""

__version__ = "0.1.0"
