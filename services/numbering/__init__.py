"""文号 (document numbers) and 收文号 (receipt numbers): counters that never repeat a number."""
