"""Imports every module that declares tables, so the metadata is complete.

Add a line here when a package gets a ``models`` module; the migration test fails otherwise.
"""
# ruff: noqa: F401

import engine.definitions.models
import engine.runtime.circulation_models
import engine.runtime.delegation_models
import engine.runtime.incident_models
import engine.runtime.models
import engine.runtime.wait_models
import services.archive.models
import services.audit.models
import services.auth.models
import services.auth.token_models
import services.calendar.models
import services.files.models
import services.gongwen.distribution_models
import services.gongwen.exchange_models
import services.gongwen.intake_callback_models
import services.gongwen.intake_models
import services.gongwen.models
import services.notify.models
import services.numbering.models
import services.org.models
import services.seal.models
import services.studio.models
import services.workbench.models
