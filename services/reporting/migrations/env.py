from tousu.kit.migrate import run_env
from tousu.reporting.adapters.tables import metadata

run_env(metadata)
