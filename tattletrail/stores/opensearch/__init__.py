"""The OpenSearch store (Elasticsearch 7.10+/8 too): store.py (the Store), schema.py (index names
and the event's indexed shape: a leaf), connection.py (URL, client, engine), bulk.py, search.py,
threats.py (rescoring), setup.py (templates, policies, doctor), discover.py (Dashboards links).

Opened through `tattletrail.stores.open_store`; nothing outside stores/ imports it."""
