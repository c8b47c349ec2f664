"""The ``opentill`` command: demo, serve, worker, migrate, createuser."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from opentill.common import backup as backup_cli
from opentill.config import env as config_env
from opentill.fiscal import cli as fiscal_cli
from opentill.fiscal.devices import cli as fiscal_device_cli
from opentill.reports import cli as reports_cli


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opentill.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def serve(
    host: str, port: int, workers: int, threads: int = 4, background_worker: bool = True
) -> None:
    """Run the production server (gunicorn) on ``host:port``, with the background worker
    (print jobs) as a child process unless ``background_worker`` is false."""
    from gunicorn.app.base import BaseApplication

    from opentill.common.worker import WorkerSupervisor
    from opentill.wsgi import application

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": 120,
                "accesslog": "-" if config_env.read().access_log else None,
                "errorlog": "-",
                "loglevel": "info",
            }
            for key, value in options.items():
                if value is not None:
                    self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    supervisor = WorkerSupervisor()
    if background_worker:
        supervisor.start()
    try:
        _Server().run()
    finally:
        supervisor.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="opentill", description="OpenTill point of sale")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="create or update the demo shop and serve it")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--workers", type=int, default=2)
    demo.add_argument("--no-serve", action="store_true", help="load the demo data and exit")

    srv = sub.add_parser("serve", help="serve the API, back office and terminal")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8000)
    srv.add_argument("--workers", type=int, default=2)
    srv.add_argument("--threads", type=int, default=4)
    srv.add_argument(
        "--no-migrate", action="store_true", help="do not apply pending migrations first"
    )
    srv.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start the background worker (run `opentill worker` elsewhere)",
    )

    wk = sub.add_parser("worker", help="run the background jobs (print jobs) until stopped")
    wk.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    wk.add_argument("--batch", action="store_true", help="run the jobs due now, then exit")
    wk.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)

    sub.add_parser("migrate", help="create or update the database tables")

    from opentill.bench import add_arguments as bench_arguments

    bench_arguments(
        sub.add_parser("bench", help="sync many orders through a fresh server, close, measure")
    )

    cu = sub.add_parser("createuser", help="create or update a user with roles")
    cu.add_argument("username")
    cu.add_argument(
        "--role", action="append", choices=["cashier", "manager", "accountant"], default=[]
    )
    cu.add_argument("--password", help="default: asked on the terminal")
    cu.add_argument("--email", default="")
    cu.add_argument("--superuser", action="store_true")
    cu.add_argument("--pin", help="4 to 8 digits, for manager approvals at the till")

    reports_cli.add_commands(sub)
    backup_cli.add_commands(sub)
    fiscal_cli.add_commands(sub)
    fiscal_device_cli.add_commands(sub)

    args = parser.parse_args(argv)
    if args.command == "bench":  # runs the server in a subprocess: no Django here
        from opentill.bench import run as bench_run

        return bench_run(args)
    _django()
    code = reports_cli.run(args)
    if code is None:
        code = backup_cli.run(args)
    if code is None:
        code = fiscal_cli.run(args)
    if code is None:
        code = fiscal_device_cli.run(args)
    if code is not None:
        return code
    from django.conf import settings

    if args.command == "migrate":
        _migrate(verbosity=1)
        return 0
    if args.command == "createuser":
        from opentill.common.problems import Problem
        from opentill.identity.services import user_create

        password = args.password or getpass.getpass(f"Password for {args.username}: ")
        try:
            user_create(
                username=args.username,
                password=password,
                roles=args.role,
                email=args.email,
                superuser=args.superuser,
                pin=args.pin,
            )
        except Problem as exc:
            print(f"opentill: {exc.detail}", file=sys.stderr)
            return 2
        print(f"user {args.username} saved with roles: {', '.join(args.role) or 'none'}")
        return 0
    if args.command == "demo":
        from opentill.demo import demo_load

        _migrate()
        info = demo_load()
        db = settings.DATABASES["default"]
        print("OpenTill demo shop ready")
        print(f"  database:   {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}")
        print(f"  users:      {', '.join(info['users'])} (password: {info['password']!r})")
        pins = ", ".join(f"{user} {pin}" for user, pin in info["pins"].items())
        print(f"  PINs:       {pins} (manager approvals at the till)")
        if args.no_serve:
            return 0
        base = f"http://{args.host}:{args.port}"
        print(f"  back office {base}/admin/   API {base}/api/v1/docs   terminal {base}/terminal/")
        sys.stdout.flush()
        serve(args.host, args.port, args.workers)
        return 0
    if args.command == "serve":
        if not args.no_migrate:
            _migrate()
        serve(args.host, args.port, args.workers, args.threads, not args.no_worker)
        return 0
    if args.command == "worker":
        from opentill.common.worker import run_worker

        run_worker(interval=args.interval, parent_pid=args.parent_pid, batch=args.batch)
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
