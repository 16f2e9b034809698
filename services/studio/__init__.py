"""Analyst studio storage: BPMN drafts saved from the web modeler (never into processes/)."""
