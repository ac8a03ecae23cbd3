"""pytest plugin loaded by the workspace's pytest configuration (fixtures are added as the kit grows)."""
