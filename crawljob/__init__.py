"""The crawl-process boundary without Scrapy: the command line, the stats keys, the crawl report."""
