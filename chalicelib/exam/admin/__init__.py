"""The agency admin's exam console routes (routes.py): editing, open/close, make-up sittings, bank dry-run and
preview, the analysis-policy defaults. A package of its own so its routes module is part of the edge."""
