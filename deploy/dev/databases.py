"""Create every service's PostgreSQL database that does not exist yet (idempotent)."""
from shared.config import service_config
from shared.db import ensure_database

from .services import RPC_SERVICES


def main():
    for service in RPC_SERVICES:
        url = service_config(service.name)["DATABASE_URL"]
        ensure_database(url)
        print(f"数据库就绪 database ready: {url.rsplit('/', 1)[-1]}")


if __name__ == "__main__":
    main()
