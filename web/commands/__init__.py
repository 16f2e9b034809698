"""CLI commands, one module per area; each returns click commands run inside an app context."""

from web.commands.auth import COMMANDS as AUTH_COMMANDS
from web.commands.calendar import COMMANDS as CALENDAR_COMMANDS
from web.commands.db import COMMANDS as DB_COMMANDS
from web.commands.documents import COMMANDS as DOCUMENT_COMMANDS
from web.commands.engine import COMMANDS as ENGINE_COMMANDS
from web.commands.intake import COMMANDS as INTAKE_COMMANDS
from web.commands.org import COMMANDS as ORG_COMMANDS
from web.commands.scheduler import COMMANDS as SCHEDULER_COMMANDS
from web.commands.seal import COMMANDS as SEAL_COMMANDS

COMMANDS = [
    *DB_COMMANDS,
    *ORG_COMMANDS,
    *AUTH_COMMANDS,
    *ENGINE_COMMANDS,
    *SEAL_COMMANDS,
    *DOCUMENT_COMMANDS,
    *SCHEDULER_COMMANDS,
    *INTAKE_COMMANDS,
    *CALENDAR_COMMANDS,
]
