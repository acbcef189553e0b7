"""moto's DynamoDB/SSM API server for the tests, one request at a time.

`moto_server` serves requests on parallel threads, and moto's DynamoDB keeps no lock
between checking a condition and writing: two parallel conditional writes could both
pass, which DynamoDB never allows. Serving requests one at a time gives each its
atomicity back, so that the race tests test our conditions, not moto's threads.
"""

import argparse

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        "127.0.0.1",
        args.port,
        app,
        threaded=False,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
