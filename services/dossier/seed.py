"""Demo data of the dossier service: the open 2026 notice (`make run`; idempotent).

Publishes the 2026 annual notice (工程 and 卫生, every level, the window covering today) unless a
notice for 2026 whose window covers today is already there, so a re-run never adds versions.
"""
from shared.green import monkey_patch

monkey_patch()

import argparse  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

from shared.clock import BEIJING, beijing_date, utc_now  # noqa: E402
from shared.config import load_config, service_config  # noqa: E402
from shared.roles import CITY_ADMIN, Actor  # noqa: E402
from shared.titles import LEVEL_ORDER  # noqa: E402

from .application import Dossiers  # noqa: E402
from .exceptions import NoticeNotPublishedError  # noqa: E402

SEED_ACTOR = Actor(account_id="seed-demo", role=CITY_ADMIN, org_id=None)


def demo_notice(review_year, today):
    # The demo must be usable whenever it runs, so the window always covers today.
    start = min(datetime(review_year, 1, 1, tzinfo=BEIJING),
                datetime.combine(today - timedelta(days=30), datetime.min.time(), BEIJING))
    end = max(datetime(review_year, 12, 31, 17, 30, tzinfo=BEIJING),
              datetime.combine(today + timedelta(days=60), datetime.min.time(), BEIJING))
    return {
        "review_year": review_year,
        "title": f"关于做好{review_year}年度昆明市职称评审工作的通知(演示)",
        "open_series": {"engineering": list(LEVEL_ORDER), "health": list(LEVEL_ORDER)},
        "window": {"start": start.isoformat(), "end": end.isoformat()},
    }


def seed_notice(app, review_year=2026, now=None):
    """Publish the demo notice if needed; returns True when it published one."""
    now = now or utc_now()
    try:
        notice = app.notice_for(review_year)
        if notice.window_start <= now <= notice.window_end:
            return False
    except NoticeNotPublishedError:
        pass
    app.publish_notice(SEED_ACTOR, demo_notice(review_year, beijing_date(now)), now)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description="载入演示用年度评审通知(可重复执行)")
    parser.add_argument("--config", help="path to the dossier config.yaml")
    parser.add_argument("--year", type=int, default=2026)
    args = parser.parse_args(argv)
    config = load_config(args.config) if args.config else service_config("dossier")
    app = Dossiers(config["DATABASE_URL"])
    try:
        published = seed_notice(app, args.year)
        print(f"dossier seed: {args.year} notice {'published' if published else 'already open'}")
    finally:
        app.close()


if __name__ == "__main__":
    main()
