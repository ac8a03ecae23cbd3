from tousu.kit.migrate import run_env
from tousu.sla.adapters.tables import metadata

run_env(metadata)
