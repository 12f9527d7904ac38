"""The dossier's RPC input schemas. The gateway validates the same forms at the edge, so they are
published in ``shared/contracts/dossier_schemas.py`` (commands and queries) and
``shared/contracts/notice_schemas.py`` (the annual notice, sanctions); this module names them for the
service's own code."""
from shared.contracts.dossier_schemas import *  # noqa: F401,F403
from shared.contracts.notice_schemas import *  # noqa: F401,F403
