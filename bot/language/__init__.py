"""French text handling: typed answers to options, dates and moments."""
