"""Who may read or act on which task and instance: exactly the pages' rules, reused.

``visible_task`` / ``visible_instance`` come from the workbench, so the API and the pages
cannot drift apart (unknown ids get the same 403 as forbidden ones).
"""

from __future__ import annotations

from web.workbench.access import open_tasks, visible_instance, visible_task

__all__ = ["open_tasks", "visible_instance", "visible_task"]
