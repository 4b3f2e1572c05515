"""gRPC servicers: proto <-> domain translation only."""
