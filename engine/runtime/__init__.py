"""Runtime: instances, human tasks (the inbox), history, timers and messages."""
