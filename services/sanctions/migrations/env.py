from tousu.kit.migrate import run_env
from tousu.sanctions.adapters.tables import metadata

run_env(metadata)
