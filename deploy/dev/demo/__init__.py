"""The living demo of ``make run``: a committee and a handful of applicants whose dossiers stand at
different steps of the review chain, acted out through the services' own commands.

``python -m deploy.dev.demo`` runs the services in this process on one shared clock that starts some
weeks back and travels forward as the story advances (``stage.py``), so every event is stamped at a
plausible moment, windows of five working days really pass, and the histories verify. It loads once:
a second run finds the dossiers and changes nothing.
"""
