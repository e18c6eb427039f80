"""One module per `dangjian` subcommand: its parser (``register``) and its body (``run``).

Each imports what its work needs inside ``run``, so `dangjian --help` loads none of Prefect, Scrapy or
SQLAlchemy.
"""
