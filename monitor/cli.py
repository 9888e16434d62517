"""Command line: ``python -m monitor {validate,run,demo,migrate-store,settings,onboard,alerts}``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from monitor.errors import MonitorError, SettingsError


def _service(args):
    from monitor.bootstrap import build_service
    from monitor.config import Settings

    service = build_service(Settings.load())
    if getattr(args, "command", None) == "run":
        # Fail at once, naming MLflow, when it is missing (a wrong workspace folder) or does not answer,
        # rather than once per model after each one's wait.
        service.mlflow.ping()
    return service


def _cmd_validate(args) -> int:
    from monitor.validate import validate

    problems = validate(_service(args), check_mlflow=not args.offline)
    for p in problems:
        print(p)
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity == "warning" for p in problems)
    print(f"monitor.toml: {errors} error(s), {warnings} warning(s)")
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
    if result.alerts_error:
        print(f"ALERTS {result.alerts_error}", file=sys.stderr)
    print(result.summary())
    return 0 if result.ok else 1


def _cmd_demo(args) -> int:
    from monitor.config import Settings
    from monitor.demo import build_demo

    settings = Settings.load()
    hint = (f"the demo workspace in {settings.workspace} is not finished; run `python -m monitor demo` again to finish it "
            f"(nothing is logged twice), or delete that folder to start over")
    try:
        build_demo(settings, progress=lambda m: print(m, flush=True))
    except KeyboardInterrupt:
        print(f"interrupted: {hint}", file=sys.stderr)
        return 130
    except MonitorError as exc:
        print(f"error: {exc}\n{hint}", file=sys.stderr)
        return 2
    return 0


def _cmd_migrate(args) -> int:
    from pathlib import Path

    from monitor.bootstrap import build_store
    from monitor.config import Settings
    from monitor.migrate import migrate_store
    from monitor.sources.pipelines import PIPELINE_PARTITION
    from monitor.store.sqlite import SqliteSnapshotStore

    target_settings = Settings.load()
    workspace = Path(args.source_workspace) if args.source_workspace else target_settings.workspace
    source_db = Settings(workspace=workspace).snapshot_db
    if target_settings.store == "sqlite" and target_settings.snapshot_db.resolve() == source_db.resolve():
        print("migrate-store: the target is the source; set MONITOR_STORE=cosmos and MONITOR_COSMOS_* first", file=sys.stderr)
        return 2
    if not source_db.is_file():
        print(f"migrate-store: no snapshot store at {source_db} (source workspace {workspace}, from "
              f"{'--source-workspace' if args.source_workspace else 'MONITOR_WORKSPACE, default .monitor'}); nothing was migrated",
              file=sys.stderr)
        return 2
    service = _service(args)
    source = SqliteSnapshotStore(source_db)
    if not any(source.kinds(p) for p in [*service.spec.names, PIPELINE_PARTITION]):
        print(f"migrate-store: {source_db} holds no documents of the models in monitor.toml "
              f"({', '.join(service.spec.names)}); nothing was migrated", file=sys.stderr)
        return 1
    counts = migrate_store(source, build_store(target_settings), service.spec.names)
    for error in counts["errors"]:
        print(f"FAILED {error}", file=sys.stderr)
    print(f"documents copied: {counts['copied']}, unchanged: {counts['unchanged']}, failed: {counts['failed']}")
    return 1 if counts["failed"] else 0


def _cmd_settings(args) -> int:
    from monitor.config import Settings

    for key, value in Settings.load().describe().items():
        print(f"{key} = {value}")
    return 0


def _cmd_onboard(args) -> int:
    from monitor.config import Settings
    from monitor.onboard import onboard

    proposal = onboard(Settings.load(), args.registered_model, name=args.name, version=args.version,
                       target=args.target, task=args.task, append=args.append)
    print(proposal.text, end="")
    if proposal.appended_to is not None:
        print(f"appended model '{proposal.name}' to {proposal.appended_to}; it parses. Review it, then run "
              "`python -m monitor validate`", file=sys.stderr)
    return 0


def _cmd_alerts_test(args) -> int:
    from monitor.alerts.deliver import send_test
    from monitor.config import Settings
    from monitor.errors import SpecError
    from monitor.spec import load_spec

    settings = Settings.load()
    try:
        alerts = load_spec(settings.spec).alerts
    except SpecError as exc:
        print(f"warning: routes not checked: {exc}", file=sys.stderr)
        alerts = None
    results, problems = send_test(settings, alerts)
    if not results:
        print("no alert channel is configured: set MONITOR_ALERT_TEAMS_URL, MONITOR_ALERT_SLACK_URL, "
              "MONITOR_ALERT_WEBHOOK_URL, MONITOR_ALERT_EMAIL_TO (with MONITOR_ALERT_SMTP_*) or MONITOR_ALERT_CHANNELS",
              file=sys.stderr)
        return 2
    for result in results:
        print(result)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    failed = sum(not r.ok for r in results)
    print(f"test messages sent: {len(results) - failed}, failed: {failed}")
    return 1 if failed else 0


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
    p = sub.add_parser("onboard", help="propose the [[models]] table of a registered model (print or append it)")
    p.add_argument("registered_model", metavar="REGISTERED_MODEL", help="name of the model in the MLflow registry")
    p.add_argument("--name", help="the monitor's name for it (default: the registered name, lower case, '_' for other characters)")
    p.add_argument("--version", help="model version (default: the newest)")
    p.add_argument("--target", help="the label column (default: the reference column that is not a model input)")
    p.add_argument("--task", choices=("classification", "regression"), help="override the task read from the model")
    p.add_argument("--append", action="store_true", help="append the table to the onboarding file (MONITOR_SPEC)")
    p.set_defaults(fn=_cmd_onboard)
    p = sub.add_parser("alerts", help="alert channels")
    alerts = p.add_subparsers(dest="alerts_command", required=True)
    alerts.add_parser("test", help="send a test message to each configured channel and print what it answered"
                      ).set_defaults(fn=_cmd_alerts_test)
    args = parser.parse_args(argv)
    try:
        return args.fn(args)
    except (MonitorError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
