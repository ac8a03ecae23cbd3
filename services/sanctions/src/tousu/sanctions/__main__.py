from tousu.kit.serve import main
from tousu.sanctions.entrypoints.app import SPEC, create_app

main(SPEC, create_app)
