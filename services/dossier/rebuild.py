"""Rebuild the dossier summary read model from the event store: ``python -m services.dossier.rebuild``.

Runs in one transaction: readers keep seeing the old rows until the new ones are committed, and
live commands that touch a row wait for the rebuild and then apply only if newer. The catch-up
projector's position moves to the end of the log it replayed. Like the projector, the rebuild never
stops at one dossier: one that cannot be loaded or written is reported, recorded as a failed
handling of the summary projector (``health``, ``shared.event_replay``), and the rest are rebuilt.
"""
from shared.green import monkey_patch

monkey_patch()

import argparse  # noqa: E402

from sqlalchemy import delete, func, update  # noqa: E402

from shared.config import load_config, service_config  # noqa: E402

from shared.event_failures import record_failure  # noqa: E402

from .application import Dossiers  # noqa: E402
from .catchup import FAULTS, SERVICE, summary_handling  # noqa: E402
from .logfollower import SUMMARY_PROJECTOR, LogFollower  # noqa: E402
from .projections import dossier_summary, failed_event_handlings, upsert_summaries  # noqa: E402

PAGE = 1000


def rebuild_summaries(app):
    """Recreate every summary row; returns ``(projected, unreadable)``.

    A dossier whose events no longer load (rows removed or altered in the database), or whose row the
    database refuses (a NUL byte stored before the edge refused it), gets no row; its id is reported so
    that an auditor runs ``verify`` on it, it is recorded as a failed handling, and the rebuild carries on.
    """
    projector = LogFollower(app, name=SUMMARY_PROJECTOR)
    with app.read_engine.begin() as connection:
        connection.execute(delete(dossier_summary))
        seen, failures, position = set(), {}, 0
        while True:
            notifications = app.recorder.select_notifications(start=position + 1, limit=PAGE)
            if not notifications:
                break
            fresh = [n.originator_id for n in notifications if n.originator_id not in seen]
            fresh = list(dict.fromkeys(fresh))
            seen.update(fresh)
            loaded = [d for d in (_load(app, i, failures) for i in fresh) if d is not None]
            _write(connection, loaded, failures)
            position = notifications[-1].id
        for dossier_id, (error, version) in failures.items():
            record_failure(connection, summary_handling(dossier_id, version), error, parked=True)
        _resolve_all_but(connection, failures)
        projector.save_position(position, connection=connection)
    return len(seen) - len(failures), list(failures)


def _load(app, dossier_id, failures):
    try:
        return app.repository.get(dossier_id)
    except FAULTS:
        raise
    except Exception as error:
        failures[str(dossier_id)] = (error, None)
        return None


def _write(connection, dossiers, failures):
    """Upsert a page of rows; if the page is refused, each row on its own (a savepoint each)."""
    try:
        with connection.begin_nested():
            upsert_summaries(connection, dossiers)
        return
    except FAULTS:
        raise
    except Exception:  # some row of the page is refused: find which, and keep the others
        pass
    for dossier in dossiers:
        try:
            with connection.begin_nested():
                upsert_summaries(connection, [dossier])
        except FAULTS:
            raise
        except Exception as error:
            failures[str(dossier.id)] = (error, dossier.version)


def _resolve_all_but(connection, failures):
    """Every dossier now has its row except *failures*: their older open records are resolved."""
    table = failed_event_handlings
    connection.execute(update(table).where(
        table.c.service == SERVICE, table.c.handler == SUMMARY_PROJECTOR, table.c.resolved_at.is_(None),
        table.c.event_key.not_in(list(failures))).values(resolved_at=func.now()))


def main(argv=None):
    parser = argparse.ArgumentParser(description="rebuild the dossier summary read model from the event store")
    parser.add_argument("--config", help="path to the dossier config.yaml")
    args = parser.parse_args(argv)
    config = load_config(args.config) if args.config else service_config("dossier")
    app = Dossiers(config["DATABASE_URL"])
    try:
        count, unreadable = rebuild_summaries(app)
        print(f"已重建 {count} 件申报材料的汇总记录 (rebuilt {count} dossier summaries)")
        for dossier_id in unreadable:
            print(f"无法读取或写入,请核验 (cannot load or write, run verify): {dossier_id}")
        if unreadable:
            raise SystemExit(1)
    finally:
        app.close()


if __name__ == "__main__":
    main()
