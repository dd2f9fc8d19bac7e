"""Layer 6, the test data: the run's users, the ``dataset`` a check reads (seeded in write mode,
``readonly`` over an existing user otherwise), the ``walker`` that reads a list page by page, the
``clock`` that waits for a later second of the target's clock only when the data needs one, and what
keeps the target clean: the ``ledger`` of what was made, the crash-safe ``journal`` and the honest
``leftovers``. May import every layer below (``http`` and under).
"""
