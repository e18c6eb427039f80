"""The processing core: raw page → analysis (pure steps) → decision → storage.

No Prefect and no Scrapy here. flows/ (Prefect), the CLI and the benches call it as a library:
``analyze`` runs the pure steps, ``decide`` writes what a page is, ``seeds`` keeps the reference corpus
indexed, ``run`` drives one site's pages through all of it.
"""
