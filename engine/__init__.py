"""The workflow engine around SpiffWorkflow: the only package that imports it."""
