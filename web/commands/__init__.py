"""CLI commands, one module per area; each returns click commands run inside an app context."""

from web.commands.auth import COMMANDS as AUTH_COMMANDS
from web.commands.db import COMMANDS as DB_COMMANDS
from web.commands.org import COMMANDS as ORG_COMMANDS

COMMANDS = [*DB_COMMANDS, *ORG_COMMANDS, *AUTH_COMMANDS]
