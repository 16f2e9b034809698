"""Server-side JSON-Schema forms: schema + ui -> HTML fields, request -> typed data.

``tree`` reads a form's schema and ui schema into nodes (one per field, with its widget),
``render`` turns nodes plus the current values into field models for the Jinja macros in
``templates/forms/widgets.html``, ``parse`` turns a POST back into data of the schema's types,
``sanitize`` cleans rich text. ``views`` is the analysts' preview page.
"""
