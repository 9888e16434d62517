"""Command line: ``python -m monitor {validate,run,demo,migrate-store,settings}``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from monitor.errors import MonitorError, SettingsError


def _service(args):
    from monitor.bootstrap import build_service
    from monitor.config import Settings

    return build_service(Settings.load())


def _cmd_validate(args) -> int:
    from monitor.validate import validate

    problems = validate(_service(args), check_mlflow=not args.offline)
    for p in problems:
        print(p)
    errors = sum(p.severity == "error" for p in problems)
    print(f"monitor.toml: {errors} error(s), {len(problems) - errors} warning(s)")
    return 1 if errors else 0


def _cmd_run(args) -> int:
    service = _service(args)
    service.spec  # noqa: B018 - fail early on a broken onboarding file

    def progress(done: int, total: int, message: str) -> None:
        if total and done < total:
            print(f"  [{done + 1}/{total}] {message}", flush=True)
        elif not total:
            print(f"  {message}", flush=True)

    result = service.run_job(args.model or None, progress)
    for failure in result.failed:
        print(f"FAILED {failure}", file=sys.stderr)
    print(result.summary())
    return 0 if result.ok else 1


def _cmd_demo(args) -> int:
    from monitor.config import Settings
    from monitor.demo import build_demo

    build_demo(Settings.load(), progress=lambda m: print(m, flush=True))
    return 0


def _cmd_migrate(args) -> int:
    from monitor.bootstrap import build_store
    from monitor.config import Settings
    from monitor.migrate import migrate_store

    source_settings = Settings.load(env={"MONITOR_WORKSPACE": args.source_workspace} if args.source_workspace else {})
    target_settings = Settings.load()
    if target_settings.store == "sqlite" and target_settings.snapshot_db.resolve() == source_settings.snapshot_db.resolve():
        print("migrate-store: the target is the source; set MONITOR_STORE=cosmos and MONITOR_COSMOS_* first", file=sys.stderr)
        return 2
    service = _service(args)
    counts = migrate_store(build_store(source_settings), build_store(target_settings), service.spec.names)
    for error in counts["errors"]:
        print(f"FAILED {error}", file=sys.stderr)
    print(f"documents copied: {counts['copied']}, unchanged: {counts['unchanged']}, failed: {counts['failed']}")
    return 1 if counts["failed"] else 0


def _cmd_settings(args) -> int:
    from monitor.config import Settings

    for key, value in Settings.load().describe().items():
        print(f"{key} = {value}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitor", description="MLOps Monitor")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check monitor.toml on its own and against MLflow")
    p.add_argument("--offline", action="store_true", help="check the file only, not MLflow")
    p.set_defaults(fn=_cmd_validate)
    p = sub.add_parser("run", help="compute a snapshot for every batch that has none")
    p.add_argument("--model", action="append", help="only this model (repeatable)")
    p.set_defaults(fn=_cmd_run)
    sub.add_parser("demo", help="build the demo workspace (idempotent)").set_defaults(fn=_cmd_demo)
    p = sub.add_parser("migrate-store", help="copy every document from the SQLite store to the configured store")
    p.add_argument("--source-workspace", help="workspace folder holding snapshots.db (default: MONITOR_WORKSPACE)")
    p.set_defaults(fn=_cmd_migrate)
    sub.add_parser("settings", help="print the resolved settings (secrets masked)").set_defaults(fn=_cmd_settings)
    args = parser.parse_args(argv)
    try:
        return args.fn(args)
    except (MonitorError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
