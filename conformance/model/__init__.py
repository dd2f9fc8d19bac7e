"""Layer 2, the records every layer passes on: an ``exchange`` (one request and its answer, as sent and
as recorded), the ``results`` a run produces (violations with evidence, check results, the run) and
the ``verdict`` folded from them. Plain data and pure functions. May import ``spec`` and ``errors``.
"""
