"""Fixed data of the fictional 江城市 used by ``services.org.demo`` (demo only)."""
