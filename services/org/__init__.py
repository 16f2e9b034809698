"""Organisation directory: units (单位), departments (处室/科室), users, positions and roles."""
