"""See and explain a model: diagrams, a model reference, loop dominance, XMILE export.

- :mod:`.structure`: sectors, equations and causal links of a ``.mdl`` model;
- :mod:`.named`: named loops (``<model>.loops.toml``), checked against the model's links;
- :mod:`.loops`: Loops That Matter through pysimlin: loop scores, dominance periods, the
  dominant loops of each life-cycle stage;
- :mod:`.report`: ``lifecycle loops``: tables and the figure;
- :mod:`.diagram`: ``lifecycle diagram``: stock-and-flow diagrams (overview, sectors);
- :mod:`.doc`: ``lifecycle doc``: the self-contained HTML model reference;
- :mod:`.export`: ``lifecycle export --xmile``.

All need pysimlin (the ``simlin`` extra).
"""

__all__: list[str] = []  # the modules are the interface; nothing is re-exported
