"""Layer 1, the spec: what the target is held to, read once.

``catalogue`` (the requirements and their typed ids, ``Req``), ``contract`` (the OpenAPI document read
into a small typed contract: the operation, its parameters' bounds, default and enum, the schemas),
``registry`` (which check serves which requirement) and ``boundaries`` (the limits worth walking, by
arithmetic on the contract). The bundled spec documents sit here too. May import only ``errors``.
"""
