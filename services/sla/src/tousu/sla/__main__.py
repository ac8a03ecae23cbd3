from tousu.kit.serve import main
from tousu.sla.entrypoints.app import SPEC, create_app

main(SPEC, create_app)
