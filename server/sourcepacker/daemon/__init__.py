"""The daemon's edge: pygls wiring, the stdio transport, sessions and the wire protocol."""
