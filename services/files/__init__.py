"""Stored files: form attachments and handwritten signatures.

``sniff`` tells a file's kind from its bytes, ``policy`` applies the size and type limits of the
settings, ``store`` saves and finds files, ``signatures`` keeps each user's 手写签名.

The content lives in the database (a deferred blob column), not in a directory: a file is saved
in the same transaction as the task completion that refers to it, so a failed completion leaves
neither a row nor an orphan file behind, and one database backup holds everything.
"""
