"""Layer 6, the test data: the run's ``users``, the ``dataset`` interface a check reads and its two
implementations (``seeded``: what ``seeding`` made in write mode; ``readonly``: an existing user's
``listing``), deciding inside what differs by mode; ``writes``, the one rule for every write of test data
(retries, each create journaled before it is sent, uncertain creates reconciled); the ``walker`` that
reads a list page by page, the ``clock`` that waits for a later second of the target's clock only when
the data needs one, and what keeps the target clean: the ``ledger`` of what was made, the crash-safe
``journal`` and the honest ``leftovers``. May import every layer below (``http`` and under).
"""
