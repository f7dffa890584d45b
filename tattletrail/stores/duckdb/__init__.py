"""The embedded store (one DuckDB file, no server): store.py (the Store), schema.py (the table's
layout: a leaf), write.py, search.py, threats.py (rescoring), fast.py (fast field columns).

Opened through `tattletrail.stores.open_store`; nothing outside stores/ imports it."""
