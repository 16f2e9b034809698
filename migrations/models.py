"""Imports every module that declares tables, so the metadata is complete.

Add a line here when a package gets a ``models`` module; the migration test fails otherwise.
"""
# ruff: noqa: F401

import engine.definitions.models
import engine.runtime.models
import services.audit.models
import services.auth.models
import services.notify.models
import services.org.models
