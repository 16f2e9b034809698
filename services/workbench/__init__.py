"""Per-user workbench state that is not engine state (关注: the instances a user follows)."""
