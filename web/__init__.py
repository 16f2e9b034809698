"""The Flask face of the platform: thin routes, templates in Simplified Chinese, the REST API."""
