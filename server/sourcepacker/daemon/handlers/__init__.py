"""Request and notification handlers, one module per feature.

Each is a thin adapter: decode the params, make one call into a session or its engine, encode
the result. Each module's ``register(server)`` attaches its handlers.
"""
