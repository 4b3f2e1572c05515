"""Pure recognition logic: model manifests, decoders, shot detection, summaries. No gRPC, no I/O libraries."""
