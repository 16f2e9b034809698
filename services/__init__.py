"""Domain services: plain Python, one package per area, no Flask and no SpiffWorkflow."""
