"""`python -m gateway`: the HTTP gateway alone; `python -m gateway --openapi` prints its
OpenAPI document."""

from gateway.serve import main
from worker.wiring import run_and_exit

if __name__ == "__main__":
    run_and_exit(main)
