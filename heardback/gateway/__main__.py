"""`python -m heardback.gateway`: the HTTP gateway alone; with `--openapi` it prints its OpenAPI
document."""

from heardback.gateway.serve import main
from heardback.runtime.temporal import run_and_exit

if __name__ == "__main__":
    run_and_exit(main)
