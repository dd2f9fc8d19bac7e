"""The bundled reference server: a conforming, Dify-compatible implementation of the four Service API
operations the suite uses (``POST /chat-messages``, ``GET /conversations``, rename, delete).

Run it with ``python -m conformance.server`` (or ``dify-conformance serve``); start it from Python
with :class:`conformance.server.process.ReferenceServer`. Named faults (``--fault``) make it deviate
in one documented way each, so the suite can prove it notices. Nothing is imported here: the
command line must start fast and ``--list-faults`` must not load the web stack.
"""
