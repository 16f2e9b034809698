"""Process repository: deploy, validate and version BPMN/DMN definitions."""
