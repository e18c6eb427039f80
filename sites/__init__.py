"""The portal registry: which columns are crawled, how, and the checks every layer shares (hosts, regexes)."""
