from tousu.intake.adapters.tables import metadata
from tousu.kit.migrate import run_env

run_env(metadata)
