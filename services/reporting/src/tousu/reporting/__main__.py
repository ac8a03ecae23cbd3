from tousu.kit.serve import main
from tousu.reporting.entrypoints.app import SPEC, create_app

main(SPEC, create_app)
