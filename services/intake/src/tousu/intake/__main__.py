from tousu.intake.entrypoints.app import SPEC, create_app
from tousu.kit.serve import main

main(SPEC, create_app)
