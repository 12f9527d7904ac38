"""网关 gateway: the only HTTP surface — the JSON API and the Chinese pages, composing the services.

Three layers, and the edge they stand on:

- ``api/``: the JSON routes (``@http``), one mixin per area, and the OpenAPI document they generate.
- ``pages/``: the HTML routes (``@page``) with their session, templates, forms and views.
- ``compose/``: what both need — the dossier a person may see, the composed dossier view, the role
  a person acts in and whose turn it is, uploads and downloads, fee and certificate helpers.
  api and pages both call compose; neither imports the other, and pages never call an API route.
- the modules at this level are the edge every request crosses: who is calling (``auth.py``),
  hostile input (``edge.py``), errors as HTTP answers (``errors.py``, ``exceptions.py``,
  ``remote_errors.py``), time limits on RPC (``rpc_budget.py``), metrics (``metrics.py``),
  idempotency keys (``request_keys.py``), rate limits (``ratelimit.py``), request parsing
  (``web.py``), the shared web server (``webserver.py``), the evidence store and its PDF check
  (``storage.py``, ``pdfcheck.py``) and the nameko dependencies (``dependencies.py``).

``service.py`` assembles them into GatewayService, the one nameko service. The gateway imports only
``shared/`` and itself.
"""
