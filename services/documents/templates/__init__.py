"""The docxtpl templates (.docx) of the four GB/T 9704 formats, built by ``build.py``."""
