"""Raw pages and WARC records: what a crawl hands over, readable by every layer without Scrapy."""
