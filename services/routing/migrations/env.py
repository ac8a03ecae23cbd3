from tousu.kit.migrate import run_env
from tousu.routing.adapters.tables import metadata

run_env(metadata)
