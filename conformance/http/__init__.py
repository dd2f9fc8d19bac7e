"""Layer 5, talking to the target: ``transport`` (the wire, swappable: ``fake_transport`` for unit
tests), ``limits`` (pacing, the 429 hold, the concurrency gate, the request budget, the breaker),
``redaction`` (the key never leaves the process; the HAR writer uses it too), ``errors`` (transport
failures as typed errors), ``client`` (one client: auth, timeouts, recording, and nothing else),
``api`` (the Service API operations the suite uses) and ``evidence`` (the run's log of exchanges and
the cross-cutting judgement over all of them). May import ``spec``, ``model``, ``oracles``, ``config``.
"""
