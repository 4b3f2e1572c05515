"""Outside things the scale features use: the file system, PyAV, NATS JetStream."""
