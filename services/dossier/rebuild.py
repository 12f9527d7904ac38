"""Rebuild the dossier summary read model from the event store: ``python -m services.dossier.rebuild``.

Runs in one transaction: readers keep seeing the old rows until the new ones are committed, and
live commands that touch a row wait for the rebuild and then apply only if newer. The catch-up
projector's position moves to the end of the log it replayed.
"""
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402

from sqlalchemy import delete  # noqa: E402

from shared.config import load_config, service_config  # noqa: E402

from .application import Dossiers  # noqa: E402
from .logfollower import SUMMARY_PROJECTOR, LogFollower  # noqa: E402
from .projections import dossier_summary, upsert_summaries  # noqa: E402

PAGE = 1000


def rebuild_summaries(app):
    """Recreate every summary row; returns ``(projected, unreadable)``.

    A dossier whose events no longer load (rows removed or altered in the database) gets no row;
    its id is reported so that an auditor runs ``verify`` on it, and the rebuild carries on.
    """
    projector = LogFollower(app, name=SUMMARY_PROJECTOR)
    with app.read_engine.begin() as connection:
        connection.execute(delete(dossier_summary))
        seen, unreadable, position = set(), [], 0
        while True:
            notifications = app.recorder.select_notifications(start=position + 1, limit=PAGE)
            if not notifications:
                break
            fresh = [n.originator_id for n in notifications if n.originator_id not in seen]
            fresh = list(dict.fromkeys(fresh))
            seen.update(fresh)
            upsert_summaries(connection, [d for d in (_load(app, i, unreadable) for i in fresh) if d is not None])
            position = notifications[-1].id
        projector.save_position(position, connection=connection)
    return len(seen) - len(unreadable), unreadable


def _load(app, dossier_id, unreadable):
    try:
        return app.repository.get(dossier_id)
    except Exception:
        unreadable.append(str(dossier_id))
        return None


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
            print(f"无法读取,请核验 (cannot load, run verify): {dossier_id}")
        if unreadable:
            raise SystemExit(1)
    finally:
        app.close()


if __name__ == "__main__":
    main()
