"""Onboarding and checking columns: the probe's findings and what they become (the spider is in crawlers/)."""
