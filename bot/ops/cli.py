"""The `bot` command: train, run, chat, validate and evaluate the assistant."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bot import paths, settings
from bot.ops import training
from bot.ops.store_cli import prepare_database


def cmd_train(args) -> int:
    print(training.ensure_model(force=args.force))
    return 0


def warn_demo_contact() -> None:
    """The service's phone and e-mail are said to people: say loudly when they are still the demo ones."""
    from bot.domain import catalog

    for warning in catalog.demo_contact_warnings():
        print(f"WARNING: {warning}", file=sys.stderr)
    missing = settings.missing_publisher(settings.current())
    if missing:  # make run-prod refuses to start then (bot/settings.py: require_publisher)
        print(
            f"WARNING: {', '.join(missing)} unset: the legal notice and the privacy notice show development values.",
            file=sys.stderr,
        )


def cmd_run(args) -> int:
    from bot.ops import supervisor

    config = settings.current()
    settings.require_strong_secrets(config)  # before anything starts
    if config.public_tls:  # served to the public: the web app would refuse to start without the publisher
        settings.require_publisher(config)
    warn_demo_contact()
    prepare_database(config)
    print(mail_startup_line(config))
    return supervisor.run_forever(config, training.ensure_model())


def mail_startup_line(config: settings.Settings) -> str:
    """Where the e-mails go: said at start-up, so nobody expects mail the embedded set-up keeps."""
    from bot.mail import transport

    where = transport.from_settings(config)
    if isinstance(where, transport.SmtpTransport):
        return f"E-mail: sent through {where.describe()} (SMTP_URL)."
    return (
        f"E-mail: no SMTP_URL set, so nothing is sent; each message is written to {where.directory}/ " f"as an .eml file instead."
    )


def cmd_env(args) -> int:
    """`eval "$(bot env)"`: the variables our endpoints files and actions read, for Rasa's own commands."""
    import shlex

    config = settings.current()
    variables = {**config.rasa_environment(), "DATABASE_URL": config.database_url, "BOT_VAR_DIR": str(config.var_dir)}
    for name, value in variables.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def cmd_shell(args) -> int:
    from bot.ops import supervisor

    config = settings.current()
    prepare_database(config)
    return supervisor.run_shell(config, training.ensure_model())


def validate_data() -> int:
    """Rasa's own checks of domain, stories, rules and NLU data, warnings count as failures."""
    command = training.rasa_command(
        "data",
        "validate",
        "--fail-on-warnings",
        "--config",
        str(paths.CONFIG),
        "--domain",
        str(paths.DOMAIN),
        *training.training_data_args(),
    )
    return subprocess.call(command, cwd=paths.ROOT, env=training.rasa_env())


def cmd_validate(args) -> int:
    return validate_data()


def cmd_eval(args) -> int:
    from bot.evaluation import holdout, report

    if validate_data() != 0:
        print("Data validation failed.", file=sys.stderr)
        return 1
    model = training.ensure_model()
    results = holdout.run(model)
    result = results["held-out"]
    print(report.side_by_side_table(result.rasa, result.baseline))
    print("\nMost confused pairs:\n" + report.confused_table(result.rasa))
    print(
        f"\nWith fallback: macro-F1 {result.rasa_with_fallback.macro_f1:.3f}, "
        f"{result.fallback_rate:.1%} fall back."
        f"\nParse latency: p50 {result.latency_p50_ms:.1f} ms, p95 {result.latency_p95_ms:.1f} ms."
    )
    real = results["real-style"]
    print("\nReal-style set (tests/nlu_realstyle_test.yml):\n" + report.side_by_side_table(real.rasa, real.baseline))
    print("\nMost confused pairs:\n" + report.confused_table(real.rasa))
    print("\nBoth sets:\n" + holdout.summary_table(results))
    print(f"\nReport: {paths.REPORTS / 'nlu.md'} and the confusion matrices beside it")
    from bot.evaluation import human_topic, typed_answers

    typed = typed_answers.evaluate()
    print("\n" + typed_answers.report(typed))
    print("\n" + human_topic.report(human_topic.evaluate(model)))
    from bot.evaluation import dates

    print("\n" + dates.report(dates.evaluate()))
    if any(r.rasa.macro_f1 <= r.baseline.macro_f1 for r in results.values()):
        print("The Rasa pipeline does not beat the baseline.", file=sys.stderr)
        return 1
    return 0


def cmd_facts(args) -> int:
    from datetime import date

    from bot.domain import facts

    found = facts.all_facts()
    print(facts.render(found, date.today()))
    if facts.missing(found):
        print("Every fact needs a source page and a check date (see above).", file=sys.stderr)
        return 1
    return 0


def cmd_run_prod(args) -> int:
    from bot.ops import production

    warn_demo_contact()
    return production.run_forever()


def cmd_bench(args) -> int:
    from bot.ops import bench

    if args.profile:
        bench.run_profile(people=args.people)
    else:
        bench.run(people=args.people)
    return 0


def cmd_profile(args) -> int:
    from bot.ops import profiling

    profiling.run(people=args.people)
    return 0


def cmd_compare_pipelines(args) -> int:
    from bot.evaluation import crossval

    configs = [Path(c).resolve() for c in args.configs] or [paths.CONFIG, *sorted(paths.CANDIDATE_CONFIGS.glob("*.yml"))]
    results = crossval.compare(configs, n_folds=args.folds)
    table = crossval.render(results, args.folds)
    print(table)
    out = paths.REPORTS / "pipelines.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table + "\n", encoding="utf-8")
    print(f"\nWritten to {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train the model if its inputs changed")
    train.add_argument("--force", action="store_true", help="train even if a model exists")
    train.set_defaults(func=cmd_train)
    sub.add_parser("run", help="start the Rasa and action servers").set_defaults(func=cmd_run)
    sub.add_parser("shell", help="chat with the assistant in the terminal").set_defaults(func=cmd_shell)
    sub.add_parser("env", help='export lines for Rasa\'s own commands: eval "$(bot env)"').set_defaults(func=cmd_env)
    sub.add_parser("validate", help="rasa data validate --fail-on-warnings").set_defaults(func=cmd_validate)
    sub.add_parser("eval", help="held-out NLU evaluation vs. baseline").set_defaults(func=cmd_eval)
    sub.add_parser("facts", help="the knowledge base's facts with their source, oldest check first").set_defaults(func=cmd_facts)
    sub.add_parser("run-prod", help="several Rasa servers, Redis lock store, PostgreSQL, nginx").set_defaults(func=cmd_run_prod)
    bench_parser = sub.add_parser("bench", help="load benchmark over the REST webhook, vs. a bare Rasa server")
    bench_parser.add_argument("--people", type=int, default=20, help="concurrent conversations (default 20)")
    bench_parser.add_argument(
        "--profile",
        action="store_true",
        help="the production profile through nginx, 1 then 2 Rasa servers (needs PostgreSQL, Redis)",
    )
    bench_parser.set_defaults(func=cmd_bench)
    profile = sub.add_parser("profile", help="py-spy on the Rasa and action servers under the bench load")
    profile.add_argument("--people", type=int, default=20, help="concurrent conversations (default 20)")
    profile.set_defaults(func=cmd_profile)
    compare = sub.add_parser("compare-pipelines", help="cross-validate config.yml and configs/*.yml")
    compare.add_argument("--folds", type=int, default=3)
    compare.add_argument("configs", nargs="*", help="configs to compare (default: config.yml and configs/*.yml)")
    compare.set_defaults(func=cmd_compare_pipelines)
    from bot.ops import store_cli

    store_cli.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
